# Helper functions of the rules: thin wrappers around posec3d.plan, which knows the runs
# behind every table and where their files live.

import json
import os
import shlex

from posec3d import plan
from posec3d.skeleton import MODALITY_CHANNELS
from posec3d.tables import claims, length_bins

# The software of every job, declared (snakemake --lint asks for it in every rule): the project's conda
# environment. Jobs run in the environment Snakemake runs in (the tested path: make setup); with
# --software-deployment-method conda, Snakemake would build this one, then tools/install.sh must run in it.
ENVIRONMENT = "../../environment.yml"

PROFILE_JSON = json.dumps(config, sort_keys=True)
# what MLflow logging reads of the profile (so that a model edit re-logs only its own runs)
TRACKING_JSON = json.dumps({k: config[k] for k in ("profile", "mlflow")}, sort_keys=True)
TABLES = list(plan.tables_of(config))
RUNS = plan.runs(config)
RUN_BY_DIR = {run.dir: run for run in RUNS}
TRACKED_CLIPS = plan.tracked_clips(config)  # the k-clip tests each run's MLflow record logs
# a typo in a hyperparameter or a claim stops the workflow now, naming it, not when its job runs
plan.check_run_configs(config)
plan.check_annotation_files(config)
plan.check_video_datasets(config)
claims.check_claims(config)
ESTIMATOR_NAMES = "|".join(config.get("estimators", {}).get("models", {})) or "(?!)"  # detectors among them
MODALITY = "(" + "|".join(MODALITY_CHANNELS) + ")"  # a trained run's: joint, limb, joint-limb


wildcard_constraints:
    dataset=r"[a-z0-9]+",
    source=r"[a-z0-9-]+",
    run=rf"[a-z0-9-]+_{MODALITY}_[a-z0-9]+_s\d+",
    fused=rf"([a-z0-9-]+_{MODALITY}(\+{MODALITY})+|[a-z0-9-]+(\+[a-z0-9-]+)+_{MODALITY})_[a-z0-9]+_s\d+",
    test=r"test_\d+clip[a-z0-9._-]*",
    clips=r"\d+",
    drop=r"0?\.\d+|1",
    on=r"[a-z0-9-]+",
    table="|".join(TABLES) or "(?!)",
    estimator=ESTIMATOR_NAMES,
    detector=ESTIMATOR_NAMES,


def all_targets():
    """The report, which pulls in every table of the profile."""
    return ["results/report.md"]


def run_of(wildcards):
    return RUN_BY_DIR[f"runs/{wildcards.dataset}/{wildcards.source}/{wildcards.run}"]


def poses_of_run(wildcards):
    run = run_of(wildcards)
    return plan.pose_file(plan.data_of(config, run.dataset), run.poses)


def poses_of_test(wildcards):
    """The poses a test reads: the run's own, or Figure 5's other source {on}; of the dataset
    that holds the clips (a `data:` dataset reads another's)."""
    return plan.pose_file(plan.data_of(config, wildcards.dataset), wildcards.get("on", wildcards.source))


def fused_members(wildcards):
    """The member runs' same test files that a fused run's test adds up (rule fuse)."""
    run = plan.parse_run_dir(f"runs/{wildcards.dataset}/{wildcards.source}/{wildcards.fused}")
    return [f"{member.dir}/{wildcards.test}.npz" for member in run.members]


def run_config_json(wildcards):
    """The resolved run config: recipe < profile < dataset < run (params: edits rerun it)."""
    return json.dumps(plan.run_config(config, run_of(wildcards)), sort_keys=True)


def folder_of_output(wildcards, output):
    """The folder a job writes into (a run's, an estimator's): the folder of its first output."""
    return os.path.dirname(output[0])


def estimator_folder(wildcards, input):
    """The estimator folder a job reads: the folder of its declared weights."""
    return os.path.dirname(input.weights)


def synth_options(wildcards):
    """`posec3d synth` arguments of a synthetic dataset: preset, seed and field overrides."""
    synth = config["datasets"][wildcards.dataset]["synth"]
    options = [synth["preset"], f"--seed {synth.get('seed', 0)}"]
    options += [f"--set {shlex.quote(f'{k}={json.dumps(v)}')}" for k, v in sorted(synth.get("set", {}).items())]
    return " ".join(options)


def poses_input(wildcards):
    """What a pose file is made from: a synthetic dataset's scenes, or an annotation file (and the
    dataset's class names, when it gives them)."""
    if is_synthetic(wildcards.dataset):
        return [plan.scenes_file(wildcards.dataset)]
    return [plan.annotation_file(config, wildcards.dataset, wildcards.source)] + classes_input(wildcards)


def classes_input(wildcards):
    """The dataset's class-name file, if it names one."""
    classes = config["datasets"][wildcards.dataset].get("classes")
    return [classes] if classes and not is_synthetic(wildcards.dataset) else []


def classes_option(wildcards):
    """`--classes FILE` of a dataset that names its class names, else nothing."""
    return " ".join(f"--classes {shlex.quote(c)}" for c in classes_input(wildcards))


def kpfiles_option(wildcards):
    """`--kpfiles` of a Kinetics-400 dataset whose keypoints sit in separate files, else nothing."""
    kpfiles = config["datasets"][wildcards.dataset].get("kpfiles")
    return f"--kpfiles {shlex.quote(kpfiles)}" if kpfiles and not is_synthetic(wildcards.dataset) else ""


def video_width(wildcards):
    """The width a dataset's videos are rendered at: its own `video.width` (Volleyball's small
    players), else the profile's."""
    own = config["datasets"][wildcards.dataset].get("video", {})
    return own.get("width", config.get("video", {}).get("width", 224))


def scenes_of_dataset(wildcards):
    return plan.scenes_file(wildcards.dataset)


def official_url(wildcards):
    """The download address of an official annotation file named in the profile."""
    path = f"data/official/{wildcards.file}"
    for dataset in config["datasets"].values():
        for entry in dataset.get("annotations", {}).values():
            if entry["path"] == path and entry.get("url"):
                return entry["url"]
    raise ValueError(f"{path}: no profile dataset names a url for it; put the file there yourself")


def is_synthetic(dataset):
    return "synth" in config["datasets"][dataset]


def is_listed(dataset):
    """Whether a dataset is a folder of the user's own videos (`videos:`)."""
    return "videos" in config["datasets"][dataset]


def videos_of(dataset):
    """A dataset's videos: its own folder (`videos:`), or the ones rendered from its scenes."""
    own = config["datasets"][dataset].get("videos")
    return own["path"] if own else plan.videos_dir(dataset)


def clip_inputs(dataset):
    """What a detector or extraction pass reads of a dataset's clips: scenes and rendered videos,
    or the clips file of the user's videos (and their folder)."""
    if is_listed(dataset):
        return {"clips": plan.clips_file(dataset), "videos": videos_of(dataset)}
    return {"scenes": plan.scenes_file(dataset), "videos": videos_of(dataset)}


def clip_options(wildcards, input):
    """`--scenes S --videos V` of a synthetic dataset, `--clips C` of a videos dataset."""
    if "clips" in input.keys():
        return f"--clips {shlex.quote(input.clips)}"
    return f"--scenes {shlex.quote(input.scenes)} --videos {shlex.quote(input.videos)}"


def index_inputs(wildcards):
    """A videos dataset's folder, labels file and label map (if it names one)."""
    own = config["datasets"][wildcards.dataset]["videos"]
    return {"videos": own["path"], "labels": own["labels"], "classes": classes_input(wildcards)}


def index_options(wildcards, input):
    """`posec3d index-videos` options: the dataset's split names and its label map."""
    splits = config["datasets"][wildcards.dataset]["splits"]
    options = ["--splits", *(shlex.quote(name) for name in sorted({splits["train"], splits["val"]}))]
    return " ".join(options + [f"--classes {shlex.quote(c)}" for c in input.classes])


def train_gpus():
    return int(config.get("resources", {}).get("train_gpus", 0))


def train_threads():
    return int(config.get("resources", {}).get("train_threads", 1))


def tests_of_run(wildcards):
    """The test metrics and scores this run's MLflow record logs (`plan.tracked_clips`)."""
    run = run_of(wildcards)
    clips = TRACKED_CLIPS.get(run, [])
    return [run.test_metrics(k) for k in clips] + [run.test_scores(k) for k in clips]


def keypoint_drop_option(wildcards):
    """`--keypoint-drop P` of a Table 5 test (its output names P), else nothing."""
    return f"--keypoint-drop {wildcards.drop}" if "drop" in wildcards.keys() else ""


def table_inputs(wildcards):
    """Test class scores (values and intervals) and tracking records of every run behind a table,
    the evaluations of its estimators, and the training histories and test metrics whose timings
    a leaderboard reports."""
    cells = plan.cells(config, wildcards.table)
    tests = sorted({f for c in cells for f in c.scores_files + c.speed_files})
    tracking = sorted({r.tracking_file for c in cells for r in c.trained_runs})
    estimators = sorted({plan.estimator_files(c.estimator)["metrics"] for c in cells if c.estimator})
    return tests + tracking + estimators + clip_lengths_inputs(wildcards.table)


def clip_lengths_inputs(table):
    """The pose files whose clip lengths a table binned by length (Figure 4) reads."""
    spec = plan.tables_of(config)[table]
    return sorted({length_bins.lengths_file(config, table, row) for row in spec["rows"]}) if "bins" in spec else []


def claims_inputs(wildcards):
    """The class scores and tracking records of every cell that a claim of the profile's tables
    compares (the claims' MLflow run names the runs behind it)."""
    cells = claims.claim_cells(config)
    return sorted({f for c in cells for f in c.scores_files}) + sorted(
        {r.tracking_file for c in cells for r in c.trained_runs}) + sorted(
        {f for table in TABLES for f in clip_lengths_inputs(table)})


# ------------------------------------------------------------------- pose extraction from video

EXTRACTED = plan.extractable_sources(config)
FRAMES = config.get("estimators", {}).get("frames", {})
FRAME_DATASETS = FRAMES.get("datasets", [])


def frame_datasets_args():
    """`posec3d frames` arguments: each dataset's folder (scenes, videos) and train / val splits."""
    args = []
    for name in FRAME_DATASETS:
        splits = config["datasets"][name]["splits"]
        args.append(f"--dataset data/{name}:{splits['train']}:{splits['val']}")
    return " ".join(args)


def frames_max_clips_option():
    """`--max-clips` of `posec3d frames` when the profile caps the clips frames come from."""
    return f"--max-clips {FRAMES['max_clips']}" if "max_clips" in FRAMES else ""


def estimator_training_frames(wildcards):
    """The frames an estimator learns from; none when the profile gives trained weights."""
    spec = config["estimators"]["models"][wildcards.estimator]
    return [] if "checkpoint" in spec else [plan.FRAMES_DIR]


def estimator_train_options(wildcards):
    """`posec3d train-estimator` options from the profile's entry (edits retrain it)."""
    spec = config["estimators"]["models"][wildcards.estimator]
    if "checkpoint" in spec:
        return f"{shlex.quote(spec['config'])} --checkpoint {shlex.quote(spec['checkpoint'])}"
    options = [shlex.quote(spec["config"]), f"--frames {plan.FRAMES_DIR}"]
    if "iters" in spec:
        options.append(f"--iters {spec['iters']}")
    options += [f"--set {shlex.quote(f'{k}={json.dumps(v)}')}" for k, v in sorted(spec.get("set", {}).items())]
    return " ".join(options)


def extract_inputs(wildcards):
    """The clips (scenes and videos, or a clips file) and the estimator files behind one extracted
    pose source."""
    extraction = plan.extraction(config, wildcards.source)
    pose = plan.estimator_files(extraction.estimator)
    inputs = {**clip_inputs(wildcards.dataset), "pose_config": pose["config"], "pose_weights": pose["weights"]}
    detector = extraction.detector(config)
    if detector is not None:  # Detection and Tracking boxes read one detector pass (rule detect)
        inputs["detections"] = plan.detections_file(wildcards.dataset, detector)
    return inputs


def detect_inputs(wildcards):
    """The clips and the detector files behind a dataset's stored detections."""
    files = plan.estimator_files(wildcards.detector)
    return {**clip_inputs(wildcards.dataset), "detector_config": files["config"],
            "detector_weights": files["weights"]}


def detect_options(wildcards, input):
    """`posec3d detect` options: the detector's folder (and the GPU, where the profile has one)."""
    return f"--detector {os.path.dirname(input.detector_config)}" + (" --device cuda" if train_gpus() else "")


def extract_options(wildcards, input):
    """`posec3d extract` options of one pose source (estimator, boxes, heatmaps)."""
    extraction = plan.extraction(config, wildcards.source)
    settings = {**config.get("extraction", {}), **config["datasets"][wildcards.dataset].get("extraction", {})}
    options = [f"--pose {os.path.dirname(input.pose_config)}", f"--boxes {extraction.boxes}"]
    if "detections" in input.keys():
        options.append(f"--detections {input.detections}")
    if extraction.heatmaps:
        options.append("--heatmaps")
    if train_gpus():
        options.append("--device cuda")
    for key in ("score_threshold", "max_persons", "min_area", "min_frames", "batch"):
        if key in settings:
            options.append(f"--{key.replace('_', '-')} {settings[key]}")
    return " ".join(options)
