# Datasets: the synthetic world's scenes, and the pose files every run reads. Synthetic
# datasets derive their pose sources from the scenes; at paper scale, official annotation
# files (mmaction2/pyskl pickles) are imported into the project's pickle-free format.


rule synth_scenes:
    output:
        "data/{dataset}/scenes.npz",
    log:
        "logs/synth/{dataset}.log",
    params:
        options=synth_options,
    conda:
        ENVIRONMENT
    shell:
        "posec3d synth {params.options} "
        "--out {output} --progress > {log} 2>&1"


rule poses:
    input:
        poses_input,
    output:
        "data/{dataset}/poses/{source}.npz",
    log:
        "logs/poses/{dataset}/{source}.log",
    params:
        source=lambda wildcards, input: input[0],
        kpfiles=kpfiles_option,
        classes=classes_option,
    conda:
        ENVIRONMENT
    shell:
        "posec3d poses --input {params.source:q} --source {wildcards.source} {params.kpfiles} "
        "{params.classes} --out {output} > {log} 2>&1"


rule fetch_annotations:
    output:
        "data/official/{file}",
    log:
        "logs/fetch/{file}.log",
    params:
        url=official_url,
    conda:
        ENVIRONMENT
    shell:
        "posec3d fetch --url {params.url:q} --out {output} > {log} 2>&1"
