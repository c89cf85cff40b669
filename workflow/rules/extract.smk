# Pose extraction from video (Sec. 3.1, 4.2): synthetic scenes are rendered to videos (a user's
# `videos:` dataset is listed from its labels file instead), the embedded detector and pose
# estimators learn from rendered train-split frames (real profiles name OpenMMLab checkpoints
# instead), and every clip's poses are extracted for each estimator x person-box source that a
# table asks for (plan.extraction reads the pose-source name).


rule index_videos:
    input:
        unpack(index_inputs),
    output:
        plan.clips_file("{dataset}"),
    log:
        "logs/index/{dataset}.log",
    params:
        options=index_options,
    conda:
        ENVIRONMENT
    shell:
        "posec3d index-videos --videos {input.videos:q} --labels {input.labels:q} {params.options} "
        "--out {output} > {log} 2>&1"


rule render_videos:
    input:
        scenes=scenes_of_dataset,
    output:
        directory("data/{dataset}/videos"),
    log:
        "logs/render/{dataset}.log",
    params:
        width=video_width,
    threads: 2
    conda:
        ENVIRONMENT
    shell:
        "posec3d render --scenes {input.scenes} --out {output} --width {params.width} "
        "--workers {threads} --progress > {log} 2>&1"


rule estimator_frames:
    input:
        scenes=[plan.scenes_file(d) for d in FRAME_DATASETS],
        videos=[plan.videos_dir(d) for d in FRAME_DATASETS],
    output:
        directory(plan.FRAMES_DIR),
    log:
        "logs/estimators/frames.log",
    params:
        datasets=frame_datasets_args(),
        every=FRAMES.get("every", 1),
        max_clips=frames_max_clips_option(),
    conda:
        ENVIRONMENT
    shell:
        "posec3d frames {params.datasets} --every {params.every} {params.max_clips} --out {output} --progress "
        "> {log} 2>&1"


rule train_estimator:
    input:
        frames=estimator_training_frames,
    output:
        config="data/estimators/{estimator}/config.py",
        weights="data/estimators/{estimator}/model.pth",
    log:
        "logs/estimators/{estimator}.log",
    params:
        options=estimator_train_options,
        folder=folder_of_output,
    threads: 2
    resources:
        gpu=min(train_gpus(), 1),
    conda:
        ENVIRONMENT
    shell:
        "posec3d train-estimator {params.options} "
        "--out {params.folder} --threads {threads} > {log} 2>&1"


rule evaluate_estimator:
    input:
        frames=plan.FRAMES_DIR,
        config="data/estimators/{estimator}/config.py",
        weights="data/estimators/{estimator}/model.pth",
    output:
        "data/estimators/{estimator}/metrics.json",
    log:
        "logs/estimators/{estimator}.eval.log",
    params:
        estimator=estimator_folder,
    threads: 2
    resources:
        gpu=min(train_gpus(), 1),
    conda:
        ENVIRONMENT
    shell:
        "posec3d eval-estimator --estimator {params.estimator} "
        "--frames {input.frames} --out {output} --threads {threads} > {log} 2>&1"


rule detect:
    input:
        unpack(detect_inputs),
    output:
        "data/{dataset}/detections/{detector}.npz",
    log:
        "logs/detect/{dataset}/{detector}.log",
    params:
        clips=clip_options,
        options=detect_options,
    threads: 2
    resources:
        gpu=min(train_gpus(), 1),
    conda:
        ENVIRONMENT
    shell:
        "posec3d detect {params.clips} {params.options} "
        "--threads {threads} --out {output} --progress > {log} 2>&1"


rule extract:
    input:
        unpack(extract_inputs),
    output:
        "data/{dataset}/poses/{source}.npz",
    log:
        "logs/extract/{dataset}/{source}.log",
    params:
        clips=clip_options,
        options=extract_options,
    threads: 2
    resources:
        gpu=min(train_gpus(), 1),
    wildcard_constraints:
        source="|".join(EXTRACTED) or "(?!)",
    conda:
        ENVIRONMENT
    shell:
        "posec3d extract {params.clips} {params.options} "
        "--threads {threads} --out {output} --progress > {log} 2>&1"


ruleorder: extract > poses
