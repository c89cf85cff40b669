# Training: one job per unique run of the profile's tables. The resolved run config is a
# param, so editing a hyperparameter in params/ reruns exactly the runs it reaches.


rule train:
    input:
        poses=poses_of_run,
    output:
        model="runs/{dataset}/{source}/{run}/model.pt",
        history="runs/{dataset}/{source}/{run}/history.json",
    log:
        "logs/train/{dataset}/{source}/{run}.log",
    params:
        run=run_config_json,
        folder=folder_of_output,
        gpus=train_gpus(),
    threads: train_threads()
    resources:
        gpu=train_gpus(),
    conda:
        ENVIRONMENT
    shell:
        "posec3d train --config {params.run:q} --poses {input.poses} "
        "--out {params.folder} --gpus {params.gpus} --threads {threads} > {log} 2>&1"
