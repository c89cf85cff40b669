# Datasets: the synthetic world's scenes, and the pose files every run reads. Synthetic
# datasets derive their pose sources from the scenes; at paper scale, official annotation
# files (mmaction2/pyskl pickles) are imported into the project's pickle-free format.


rule synth_scenes:
    output:
        "data/{dataset}/scenes.npz",
    log:
        "logs/synth/{dataset}.log",
    params:
        preset=lambda wc: synth_of(wc)["preset"],
        seed=lambda wc: synth_of(wc).get("seed", 0),
        overrides=lambda wc: " ".join(
            "--set " + shlex.quote(f"{k}={json.dumps(v)}")
            for k, v in sorted(synth_of(wc).get("set", {}).items())
        ),
    shell:
        "posec3d synth {params.preset} --seed {params.seed} {params.overrides} "
        "--out {output} --progress > {log} 2>&1"


rule poses:
    input:
        lambda wc: (
            plan.scenes_file(wc.dataset) if is_synthetic(wc.dataset) else official_annotations(wc)
        ),
    output:
        "data/{dataset}/poses/{source}.npz",
    log:
        "logs/poses/{dataset}/{source}.log",
    params:
        kpfiles=lambda wc: (
            ""
            if is_synthetic(wc.dataset)
            else "--kpfiles " + config["datasets"][wc.dataset].get("kpfiles", "")
            if config["datasets"][wc.dataset].get("kpfiles")
            else ""
        ),
    shell:
        "posec3d poses --input {input} --source {wildcards.source} {params.kpfiles} "
        "--out {output} > {log} 2>&1"


rule fetch_annotations:
    output:
        "data/official/{file}",
    log:
        "logs/fetch/{file}.log",
    params:
        url=official_url,
    shell:
        "posec3d fetch --url {params.url:q} --out {output} > {log} 2>&1"
