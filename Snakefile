# posec3d-bench: every table of "Revisiting Skeleton-based Action Recognition" (PoseC3D) from
# raw data, one target per table:
#
#     snakemake --cores all results/table4.csv                                   # default profile
#     snakemake --cores all results/table4.csv --configfile params/smoke.yaml    # CI-sized
#
# The profile (params/*.yaml) names datasets, models and tables; posec3d/plan.py expands the
# tables' cells into the unique training runs. All logic lives in the posec3d package.

from snakemake.utils import min_version, validate

min_version("9.0")


# The default profile, unless --configfile names another (profiles are complete: they replace
# the default rather than merging into it).
if not workflow.overwrite_configfiles:

    configfile: "params/default.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/extract.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/test.smk"
include: "workflow/rules/track.smk"
include: "workflow/rules/tables.smk"


# bookkeeping jobs run where Snakemake runs (on a cluster: next to the MLflow store)
localrules:
    fuse,
    track_run,
    table,
    claims,
    report,


rule all:
    input:
        all_targets(),
    default_target: True
