# Testing: k-clip class scores (for late fusion) and the paper's metrics of a trained run, on the
# clean validation poses; for Table 5 with limb keypoints dropped at probability {drop}; for
# Figure 5 on the poses of another source {on} (cross-annotation); and the late fusion of a
# fused run's members (Table 8's joint + limb).


rule test:
    input:
        model="runs/{dataset}/{source}/{run}/model.pt",
        poses=poses_of_test,
    output:
        scores="runs/{dataset}/{source}/{run}/test_{clips}clip.npz",
        metrics="runs/{dataset}/{source}/{run}/test_{clips}clip.json",
    log:
        "logs/test/{dataset}/{source}/{run}_{clips}clip.log",
    params:
        keypoint_drop=keypoint_drop_option,
    threads: train_threads()
    resources:
        gpu=min(train_gpus(), 1),
    conda:
        ENVIRONMENT
    shell:
        "posec3d test --model {input.model} --poses {input.poses} --clips {wildcards.clips} "
        "{params.keypoint_drop} --scores {output.scores} --metrics {output.metrics} "
        "--threads {threads} > {log} 2>&1"


use rule test as test_keypoint_drop with:
    output:
        scores="runs/{dataset}/{source}/{run}/test_{clips}clip_drop{drop}.npz",
        metrics="runs/{dataset}/{source}/{run}/test_{clips}clip_drop{drop}.json",
    log:
        "logs/test/{dataset}/{source}/{run}_{clips}clip_drop{drop}.log",


use rule test as test_cross_poses with:
    output:
        scores="runs/{dataset}/{source}/{run}/test_{clips}clip_on-{on}.npz",
        metrics="runs/{dataset}/{source}/{run}/test_{clips}clip_on-{on}.json",
    log:
        "logs/test/{dataset}/{source}/{run}_{clips}clip_on-{on}.log",


rule fuse:
    input:
        fused_members,
    output:
        scores="runs/{dataset}/{source}/{fused}/{test}.npz",
        metrics="runs/{dataset}/{source}/{fused}/{test}.json",
    log:
        "logs/fuse/{dataset}/{source}/{fused}_{test}.log",
    conda:
        ENVIRONMENT
    shell:
        "posec3d fuse {input} --out {output.scores} --metrics {output.metrics} > {log} 2>&1"
