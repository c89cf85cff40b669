"""The experiment plan: which runs a profile's tables need, where their files live, their configs.

A table is a view over runs. `params/tables.yaml` declares each table's columns; a column either
names a run (dataset x pose source x model x modality x sampling x seed) and a test (k clips), or
a complexity count. Expanding every requested table's cells gives the union of runs, so a run that
two tables need trains once. The Snakefile's input functions and the `posec3d table` command both
read paths from here, so they cannot disagree.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from posec3d.config import merge, read_mapping
from posec3d.extract import BOX_SOURCES, DETECTOR_BOXES
from posec3d.skeleton import MODALITY_CHANNELS, MODALITY_PARTS

ROOT = Path(__file__).resolve().parents[1]

# Sampling schemes a run may name: "uniform" (Sec. 3.2) or "stride<N>" (Figure 3's baseline).
UNIFORM = "uniform"
HISTORY = "history.json"  # a run's per-epoch record (posec3d.engine.trainer.HISTORY_FILE)
# A fused run's modality joins its members' ("joint+limb", Table 8): the late fusion, 1:1, of the
# same model's runs on each modality (rule fuse), tested as they are. A fused run's model may join
# models instead ("pa3d+pa3d-diff", PA3D's J u Jdiff): the late fusion of those models' runs.
FUSED = "+"


@dataclass(frozen=True, order=True)
class Run:
    """One training run of the matrix; its name is its folder under runs/."""

    dataset: str
    poses: str
    model: str
    modality: str
    sampling: str
    seed: int

    @property
    def name(self) -> str:
        return f"{self.model}_{self.modality}_{self.sampling}_s{self.seed}"

    @property
    def dir(self) -> str:
        return f"runs/{self.dataset}/{self.poses}/{self.name}"

    @property
    def model_file(self) -> str:
        return f"{self.dir}/model.pt"

    def test_metrics(self, clips: int, keypoint_drop: float = 0.0, on: str | None = None) -> str:
        return f"{self.dir}/{test_name(clips, keypoint_drop, on)}.json"

    def test_scores(self, clips: int, keypoint_drop: float = 0.0, on: str | None = None) -> str:
        return f"{self.dir}/{test_name(clips, keypoint_drop, on)}.npz"

    @property
    def tracking_file(self) -> str:
        return f"{self.dir}/mlflow.json"

    @property
    def members(self) -> tuple[Run, ...]:
        """The trained runs behind this one: itself, or a fused run's one run per modality (or per
        model)."""
        if FUSED in self.model and FUSED in self.modality:
            raise ValueError(f"run {self.dir}: a fused run joins models or modalities, not both")
        if FUSED in self.model:
            return tuple(Run(self.dataset, self.poses, m, self.modality, self.sampling, self.seed)
                         for m in self.model.split(FUSED))
        if FUSED not in self.modality:
            return (self,)
        return tuple(Run(self.dataset, self.poses, self.model, m, self.sampling, self.seed)
                     for m in self.modality.split(FUSED))


def test_name(clips: int, keypoint_drop: float = 0.0, on: str | None = None) -> str:
    """A test's file stem: "test_10clip"; "test_1clip_drop0.25" under Table 5's keypoint drop;
    "test_1clip_on-lq-gt" on other poses than the run trained on (Figure 5). Not both at once."""
    if not 0.0 <= keypoint_drop <= 1.0:
        raise ValueError(f"keypoint drop probability must be in [0, 1], got {keypoint_drop}")
    if keypoint_drop and on:
        raise ValueError("a test drops keypoints or runs on other poses, not both")
    return f"test_{clips}clip" + (f"_drop{keypoint_drop:g}" if keypoint_drop else "") + (f"_on-{on}" if on else "")


def parse_run_dir(path: str | Path) -> Run:
    """The run whose folder is `path` (runs/<dataset>/<poses>/<model>_<modality>_<sampling>_s<seed>)."""
    parts = Path(path).parts[-3:]
    fields = parts[2].rsplit("_", 3) if len(parts) == 3 else []
    if len(fields) != 4 or not fields[3].startswith("s") or not fields[3][1:].isdigit():
        raise ValueError(f"{path}: not a run folder (runs/<dataset>/<poses>/<model>_<modality>_<sampling>_s<seed>)")
    model, modality, sampling, seed = fields
    return Run(parts[0], parts[1], model, modality, sampling, int(seed[1:]))


@dataclass(frozen=True)
class Cell:
    """One (row, column) of a table: tested runs (one per seed), an estimator's metric, or a count."""

    table: str
    row: str
    column: str
    runs: tuple[Run, ...] = ()  # the same run under each seed; the cell is their mean
    clips: int = 1
    keypoint_drop: float = 0.0  # Table 5: the probability of dropping a limb keypoint per frame at test
    test_poses: str | None = None  # Figure 5: the pose source tested on, when not the one trained on
    count_model: str | None = None
    count_at: str | None = None  # "profile" or "paper"
    estimator: str | None = None  # a pose estimator's own evaluation (Table 3b's COCO AP)
    estimator_metric: str | None = None
    speed: str | None = None  # a leaderboard's measured speed of its run: "train" or "test" (k clips)

    @property
    def scores_files(self) -> tuple[str, ...]:
        """The class-score files of its tested runs, one per seed."""
        return tuple(run.test_scores(self.clips, self.keypoint_drop, self.test_poses) for run in self.runs)

    @property
    def speed_files(self) -> tuple[str, ...]:
        """What a speed cell reads: its runs' training histories, or their test metrics."""
        if self.speed == "train":
            return tuple(f"{run.dir}/{HISTORY}" for run in self.runs)
        if self.speed == "test":
            return tuple(run.test_metrics(self.clips) for run in self.runs)
        return ()

    @property
    def trained_runs(self) -> tuple[Run, ...]:
        """The training runs behind the cell: its runs, a fused run's members in its place."""
        return tuple(member for run in self.runs for member in run.members)


def load_tables(path: str | Path = ROOT / "params" / "tables.yaml") -> dict[str, Any]:
    """The table declarations (shared by every profile)."""
    return copy.deepcopy(_read_yaml(Path(path)))


@cache
def _read_yaml(path: Path) -> Any:
    """A YAML mapping, read once per process (the Snakefile asks for the same files many times)."""
    return read_mapping(path)


def tables_of(config: dict[str, Any]) -> dict[str, Any]:
    """The profile's tables: the shared declarations, rows restricted by the profile."""
    declared = load_tables(ROOT / config.get("tables_file", "params/tables.yaml"))
    out = {}
    for name, spec in config.get("tables", {}).items():
        if name not in declared:
            raise ValueError(f"profile table {name!r} is not declared in params/tables.yaml; "
                             f"declared: {sorted(declared)}")
        rows = spec.get("rows", declared[name]["rows"])
        unknown = [r for r in rows if r not in config["datasets"]]
        if unknown:
            raise ValueError(f"table {name}: rows {unknown} are not datasets of this profile")
        out[name] = {**declared[name], "rows": rows}
        if "leaderboard" in declared[name]:
            board = declared[name]["leaderboard"]
            source = board.get("paper_from")
            if source is not None and source not in declared:
                raise ValueError(f"table {name}: paper_from names {source!r}, not a declared table")
            paper = leaderboard_paper(declared[source]) if source else {}
            out[name]["columns"] = leaderboard_columns(leaderboard_models(config, name), board, paper)
    return out


# A leaderboard's measures of each model on each dataset (params/tables.yaml `leaderboard:`), the
# columns of its pivoted table (posec3d/tables/leaderboard.py)
LEADERBOARD_MEASURES = ("acc_1clip", "acc_10clip", "params_paper", "gmacs_paper", "params_profile",
                        "gmacs_profile", "train_speed", "test_speed")
BOARD = "/"  # joins a model and a measure in a leaderboard's declared column names


def leaderboard_models(config: dict[str, Any], table: str) -> list[str]:
    """The models of a leaderboard: the profile table entry's `models`, else every model entry of
    the profile with a recipe of its own, by name (a registered model with a recipe and a profile
    entry appears with no edit to any declaration; `base:` variants only when named)."""
    entry = config.get("tables", {}).get(table) or {}
    models = entry.get("models") or sorted(name for name, spec in config["models"].items() if "recipe" in spec)
    unknown = [m for m in models if m not in config["models"]]
    if unknown:
        raise ValueError(f"tables.{table}.models: {unknown} are not models of this profile: {sorted(config['models'])}")
    return list(models)


def leaderboard_paper(table: dict[str, Any]) -> dict[str, dict[str, float]]:
    """A paper table's values as leaderboard cells (`model/measure` -> {dataset: value}): its
    columns of a model's main-pose joint run (accuracy with k clips) and its counts at the paper's
    input (parameters in M, multiply-adds in G). Table 4's, beside Pose-SlowOnly's and MS-G3D's rows."""
    out = {}
    for column in table["columns"]:
        run, counted = column.get("run", {}), column.get("count", {})
        if "paper" not in column:
            continue
        if run and run.get("modality", "joint") == "joint" and run.get("poses") == "main":
            out[f"{run['model']}{BOARD}acc_{column['clips']}clip"] = column["paper"]
        elif counted.get("at") == "paper":
            measure = {"M": "params", "G": "gmacs"}[column["unit"]]
            out[f"{counted['model']}{BOARD}{measure}_paper"] = column["paper"]
    return out


def leaderboard_columns(models: list[str], board: dict[str, Any],
                        paper: dict[str, dict[str, float]] | None = None) -> list[dict[str, Any]]:
    """The declared columns behind a leaderboard: per model, its main-pose joint run tested with
    each of `board["clips"]` clips, its parameters and multiply-adds at the paper's and at the
    profile's input, and that run's training and (most-clip) test speed; with the `paper` values
    (leaderboard_paper) of the cells that have them."""
    clips = sorted(int(k) for k in board.get("clips", [1, 10]))
    columns = []
    for model in models:
        run = {"model": model, "modality": "joint", "poses": "main"}
        for k in clips:
            columns.append({"name": f"{model}{BOARD}acc_{k}clip", "label": f"{k}-clip", "group": model, "unit": "%",
                            "clips": k, "run": run})
        for at in ("paper", "profile"):
            count = {"model": model, "at": at}
            columns += [{"name": f"{model}{BOARD}params_{at}", "label": f"params, {at} input", "group": model,
                         "unit": "M", "count": count},
                        {"name": f"{model}{BOARD}gmacs_{at}", "label": f"MACs, {at} input", "group": model,
                         "unit": "G", "count": count}]
        columns += [{"name": f"{model}{BOARD}train_speed", "label": "training", "group": model,
                     "unit": "clips/s", "speed": "train", "run": run},
                    {"name": f"{model}{BOARD}test_speed", "label": f"test, {clips[-1]}-clip", "group": model,
                     "unit": "clips/s", "speed": "test", "clips": clips[-1], "run": run}]
    for column in columns:
        if paper and column["name"] in paper:
            column["paper"] = paper[column["name"]]
    return columns


def pose_source(config: dict[str, Any], logical: str, dataset: str | None = None) -> str:
    """The concrete pose source behind a table's logical name (e.g. 'main' -> 'hq-gt'): the
    dataset's own `pose_sources` first (Table 3a's '3d': sensor-3d on NTU, estimated-3d on
    FineGYM), then the profile's."""
    own = config["datasets"][dataset].get("pose_sources", {}) if dataset is not None else {}
    return own.get(logical, config["pose_sources"].get(logical, logical))


def seeds_of(config: dict[str, Any], table: str) -> list[int]:
    """The training seeds of a table's runs: the profile's table entry's `seeds`, else the
    profile's `seeds`, else its one `seed`."""
    entry = config.get("tables", {}).get(table) or {}
    seeds = entry.get("seeds", config.get("seeds", [config["seed"]]))
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"table {table}: seeds must be a non-empty list without repeats, got {seeds}")
    return [int(s) for s in seeds]


def cells(config: dict[str, Any], table: str) -> list[Cell]:
    """Every cell of `table` under this profile (a column's `run.seed` pins a single seed).

    The profile's table entry may map a declared sampling to its own (`sampling: {stride2:
    stride4}`): Figure 3's fixed strides keep the paper's window in seconds at another frame rate.
    """
    spec = tables_of(config)[table]
    seeds = seeds_of(config, table)
    samplings = (config.get("tables", {}).get(table) or {}).get("sampling", {})
    out = []
    for row in spec["rows"]:
        for col in spec["columns"]:
            if "run" in col:
                r = col["run"]
                sampling = r.get("sampling", UNIFORM)
                runs = tuple(Run(dataset=row, poses=pose_source(config, r.get("poses", "main"), row),
                                 model=r["model"], modality=r.get("modality", "joint"),
                                 sampling=samplings.get(sampling, sampling), seed=seed)
                             for seed in ([int(r["seed"])] if "seed" in r else seeds))
                tested_on = pose_source(config, r["test_poses"], row) if "test_poses" in r else None
                out.append(Cell(table, row, col["name"], runs=runs, clips=int(col.get("clips", 1)),
                                keypoint_drop=float(col.get("keypoint_drop", 0.0)),
                                test_poses=None if tested_on == runs[0].poses else tested_on,
                                speed=col.get("speed")))
            elif "estimator" in col:
                e = col["estimator"]
                out.append(Cell(table, row, col["name"], estimator=e["name"], estimator_metric=e["metric"]))
            elif "count" in col:
                c = col["count"]
                out.append(Cell(table, row, col["name"], count_model=c["model"], count_at=c["at"]))
            # else: a column of the paper's numbers only (Table 8's previous state of the art)
    return out


def runs(config: dict[str, Any], tables: list[str] | None = None) -> list[Run]:
    """The unique runs behind the given tables (all of the profile's tables by default)."""
    names = tables if tables is not None else list(tables_of(config))
    return sorted({run for t in names for c in cells(config, t) for run in c.trained_runs})


def tracked_clips(config: dict[str, Any]) -> dict[Run, list[int]]:
    """Per run of the profile, the k-clip tests its paper tables ask of it on its own clean poses:
    its MLflow record logs them. Table 5's keypoint-drop and Figure 5's cross-pose tests are inputs
    of their tables only (whose MLflow records hold their cells), so that building Table 4 does not
    train the estimators and extract the poses those tests need; so are a leaderboard's tests
    (MS-G3D's 10-clip), so that Table 4 runs no test it does not show. A run only a leaderboard
    uses is absent: it logs no test."""
    tables = tables_of(config)
    clips: dict[Run, set[int]] = {}
    for table in (t for t in tables if "leaderboard" not in tables[t]):
        for cell in cells(config, table):
            if not cell.keypoint_drop and cell.test_poses is None:
                for run in cell.trained_runs:
                    clips.setdefault(run, set()).add(cell.clips)
    return {run: sorted(ks) for run, ks in clips.items()}


def sampling_input(sampling: str) -> dict[str, Any]:
    """The input settings of a sampling name: 'uniform' or 'stride<N>'."""
    if sampling == UNIFORM:
        return {"sampling": "uniform"}
    if sampling.startswith("stride") and sampling[6:].isdigit():
        return {"sampling": "fixed_stride", "stride": int(sampling[6:])}
    raise ValueError(f"unknown sampling {sampling!r}: expected 'uniform' or 'stride<N>'")


def model_lineage(config: dict[str, Any], model: str) -> list[str]:
    """`model` and the profile entries it builds on through `base:`, the first base first.

    An entry with a base (Table 5's robust MS-G3D: `{base: msg3d, set: {train: {keypoint_drop:
    0.5}}}`) takes its base's recipe and settings, then its own on top."""
    models = config["models"]
    chain = [model]
    while True:
        if chain[-1] not in models:
            where = f"models.{chain[-2]}: base" if len(chain) > 1 else "model"
            raise ValueError(f"{where} {chain[-1]!r} is not in the profile's models: {sorted(models)}")
        base = models[chain[-1]].get("base")
        if base is None:
            return chain[::-1]
        if base in chain:
            raise ValueError(f"models.{chain[-1]}: base {base!r} makes a cycle")
        chain.append(base)


def model_entry(config: dict[str, Any], model: str) -> dict[str, Any]:
    """The profile's entry for `model` with its bases resolved (see `model_lineage`)."""
    entry: dict[str, Any] = {}
    for name in model_lineage(config, model):
        own = config["models"][name]
        entry = {**entry, **{k: v for k, v in own.items() if k not in ("base", "set")},
                 "set": merge(entry.get("set", {}), own.get("set", {}))}
    return entry


def recipe(config: dict[str, Any], model: str) -> dict[str, Any]:
    """The recipe (params/recipes/*.yaml) the profile names for `model`, as a fresh dict."""
    return copy.deepcopy(_read_yaml(ROOT / model_entry(config, model)["recipe"]))


def run_config(config: dict[str, Any], run: Run) -> dict[str, Any]:
    """The resolved config of `run`: recipe < profile model settings < dataset settings < run
    (a model's `base` entries first at each level)."""
    model = model_entry(config, run.model)
    dataset = config["datasets"][run.dataset]
    resolved = recipe(config, run.model)
    resolved = merge(resolved, model.get("set", {}))
    for name in model_lineage(config, run.model):  # a base's dataset settings, then the model's own
        resolved = merge(resolved, dataset.get("models", {}).get(name, {}))
    resolved = merge(resolved, {
        "seed": run.seed,
        "data": {"train_split": dataset["splits"]["train"], "val_split": dataset["splits"]["val"]},
    })
    if "modality" in resolved["input"]:  # heatmap-volume input (recipes of 3D-CNNs name it)
        if run.modality not in MODALITY_CHANNELS:
            raise ValueError(f"run {run.dir}: modality must be one of {sorted(MODALITY_CHANNELS)}, "
                             f"got {run.modality!r}")
        stacked = {"in_channels": MODALITY_CHANNELS[run.modality]}  # a heatmap model's input follows the modality
        if "modalities" in resolved["model"]:  # and a model that treats stacked modalities apart (PA3D)
            stacked["modalities"] = len(MODALITY_PARTS[run.modality])
        resolved = merge(resolved, {"input": {"modality": run.modality, **sampling_input(run.sampling)},
                                    "model": stacked})
        extracted = extraction(config, run.poses)
        if extracted is not None and extracted.heatmaps:  # Table 3d: the estimator's own heatmaps
            resolved = merge(resolved, {"input": {"source": "heatmaps"}})
    elif run.modality != "joint" or run.sampling != UNIFORM:
        raise ValueError(f"run {run.dir}: {run.model} takes joint coordinates with uniform sampling")
    return resolved


def check_run_configs(config: dict[str, Any]) -> None:
    """Validate the resolved config of every run of the profile (ConfigError names the key).

    Every section is checked as its job will read it: the recipe's types, the model's name and
    options (against its constructor) and the input keys (against the model's input pipeline).
    """
    from posec3d.config import ConfigError, RunConfig, from_dict
    from posec3d.data import build_input
    from posec3d.models import MODELS, check_model_options

    for run in runs(config):
        where = f"{run.dir} (models.{run.model})"
        cfg = from_dict(RunConfig, run_config(config, run), where)
        try:
            check_model_options(cfg.model_name, cfg.model_kwargs)
            build_input(MODELS[cfg.model_name].input_kind, cfg.input)
        except ValueError as err:
            raise ConfigError(f"{where}: {err}") from None


def data_of(config: dict[str, Any], dataset: str) -> str:
    """The dataset whose data folder holds `dataset`'s clips and poses: itself, or the one its
    `data:` names (Table 8's NTU-60 X-View reads X-Sub's clips and poses through other splits)."""
    shared = config["datasets"][dataset].get("data", dataset)
    if shared != dataset and (shared not in config["datasets"] or "data" in config["datasets"][shared]):
        raise ValueError(f"datasets.{dataset}.data: {shared!r} is not a dataset of this profile with data of its own")
    return shared


def pose_file(dataset: str, source: str) -> str:
    """Where the poses of `dataset` from `source` are stored."""
    return f"data/{dataset}/poses/{source}.npz"


OFFICIAL_DIR = "data/official/"  # where the fetch rule downloads annotation files that name a url


def annotation_file(config: dict[str, Any], dataset: str, source: str) -> str:
    """The annotation file behind pose source `source` of an `annotations:` dataset (any path:
    absolute, or relative to the project); one that names a url must lie under data/official/,
    where the fetch rule puts it."""
    files = config["datasets"][dataset].get("annotations", {})
    if source not in files:
        raise ValueError(f"datasets.{dataset}.annotations has no pose source {source!r}; it has "
                         f"{sorted(files)} (a table reads the source its dataset's pose_sources name)")
    entry = files[source]
    if entry.get("url") and not entry["path"].startswith(OFFICIAL_DIR):
        raise ValueError(f"datasets.{dataset}.annotations.{source}: a url is fetched into {OFFICIAL_DIR}; "
                         f"path {entry['path']!r} lies elsewhere (drop the url, or move the path)")
    return entry["path"]


def check_annotation_files(config: dict[str, Any]) -> None:
    """Check every annotation file entry of the profile (`annotation_file`'s errors, at parse time)."""
    for name, dataset in config["datasets"].items():
        for source in dataset.get("annotations", {}):
            annotation_file(config, name, source)


def check_video_datasets(config: dict[str, Any]) -> None:
    """A `videos:` dataset's runs read poses extracted in detector boxes or bottom-up (a user's
    videos have no GT boxes, nor scenes to take poses from), and estimators learn from synthetic
    frames only."""
    for run in runs(config):
        data = data_of(config, run.dataset)
        if "videos" not in config["datasets"][data]:
            continue
        extracted = extraction(config, run.poses)
        if extracted is None or extracted.boxes == "gt":
            raise ValueError(f"datasets.{data} is a videos dataset: pose source {run.poses!r} (of {run.dir}) "
                             f"needs {'GT person boxes' if extracted else 'synthetic scenes'}, which its videos do "
                             "not have; use <estimator>-detection or <estimator>-tracking (pose_sources.main)")
    for name in config.get("estimators", {}).get("frames", {}).get("datasets", []):
        if "synth" not in config["datasets"].get(name, {}):
            raise ValueError(f"estimators.frames.datasets: {name!r} is not a synthetic dataset of this profile "
                             "(the embedded estimators learn from rendered frames with their ground truth)")


def clips_file(dataset: str) -> str:
    """Where a `videos:` dataset's clips file lies (`posec3d index-videos`)."""
    return f"data/{dataset}/clips.json"


def detections_file(dataset: str, detector: str) -> str:
    """Where one detector's person boxes on every frame of `dataset` are stored (Table 3c)."""
    return f"data/{dataset}/detections/{detector}.npz"


def scenes_file(dataset: str) -> str:
    return f"data/{dataset}/scenes.npz"


def videos_dir(dataset: str) -> str:
    """The rendered (synthetic) or raw videos of `dataset`, one file per clip."""
    return f"data/{dataset}/videos"


FRAMES_DIR = "data/estimators/frames"  # COCO-format frames the embedded estimators learn from


def estimator_files(name: str) -> dict[str, str]:
    """Where an estimator of the profile lives: its config, weights and evaluation."""
    from posec3d.estimators import folder

    root = f"data/estimators/{name}"
    return {"config": f"{root}/{folder.CONFIG}", "weights": f"{root}/{folder.WEIGHTS}",
            "metrics": f"{root}/{folder.METRICS}"}


HEATMAP_SUFFIX = "-heatmap"  # the estimator's own heatmaps stored beside the coordinates (Table 3d)


@dataclass(frozen=True)
class Extraction:
    """How a pose source is extracted from video: estimator, person boxes, heatmaps kept or not."""

    estimator: str
    boxes: str  # one of BOX_SOURCES, or "none" for a bottom-up estimator
    heatmaps: bool

    def detector(self, config: dict[str, Any]) -> str | None:
        """The profile's detector, when these boxes need one."""
        return config["extraction"]["detector"] if self.boxes in DETECTOR_BOXES else None


def extraction(config: dict[str, Any], source: str) -> Extraction | None:
    """The extraction behind pose source `source`, or None when it is not extracted from video.

    Names: "<estimator>-<boxes>" for a top-down estimator (hq-gt, lq-detection, hq-tracking),
    "<estimator>" for a bottom-up one (bu), each with an optional "-heatmap" suffix.
    """
    models = config.get("estimators", {}).get("models", {})
    heatmaps = source.endswith(HEATMAP_SUFFIX)
    name = source[: -len(HEATMAP_SUFFIX)] if heatmaps else source
    estimator, _, boxes = name.partition("-")
    spec = models.get(estimator)
    if spec is None or spec["kind"] == "detector":
        return None
    if spec["kind"] == "bottomup":
        if boxes:
            raise ValueError(f"pose source {source!r}: {estimator} is bottom-up and takes no person boxes")
        boxes = "none"
    elif boxes not in BOX_SOURCES:
        raise ValueError(f"pose source {source!r}: a top-down estimator needs boxes, one of {', '.join(BOX_SOURCES)}")
    if heatmaps and spec["kind"] != "topdown":
        raise ValueError(f"pose source {source!r}: only top-down estimators give heatmaps in a known box")
    return Extraction(estimator, boxes, heatmaps)


def extractable_sources(config: dict[str, Any]) -> list[str]:
    """Every pose source the profile's estimators can extract from video, asked for by a run or
    not (`data/<dataset>/poses/hq-tracking.npz` as a target of its own)."""
    names = []
    for estimator, spec in config.get("estimators", {}).get("models", {}).items():
        if spec["kind"] == "bottomup":
            names.append(estimator)
        elif spec["kind"] == "topdown":
            names += [f"{estimator}-{boxes}{heatmap}" for boxes in BOX_SOURCES for heatmap in ("", HEATMAP_SUFFIX)]
    return sorted(names)


def extracted_sources(config: dict[str, Any]) -> list[str]:
    """The pose sources of the profile's runs that are extracted from video."""
    return sorted({run.poses for run in runs(config) if extraction(config, run.poses) is not None})

