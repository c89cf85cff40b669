# MLflow: one tracking run per training run (config, per-epoch metrics, test metrics, scores).


rule track_run:
    input:
        model="runs/{dataset}/{source}/{run}/model.pt",
        history="runs/{dataset}/{source}/{run}/history.json",
        tests=tests_of_run,
    output:
        "runs/{dataset}/{source}/{run}/mlflow.json",
    log:
        "logs/track/{dataset}/{source}/{run}.log",
    params:
        profile=TRACKING_JSON,
    conda:
        ENVIRONMENT
    shell:
        "posec3d track-run --model {input.model} --history {input.history} --tests {input.tests} "
        "--profile {params.profile:q} --out {output} > {log} 2>&1"
