"""Fill a declared table from its runs: accuracies with intervals, complexity counts, provenance.

The declaration (params/tables.yaml) says what each cell is; `posec3d.plan` says which run and
file stand behind it; this module reads them and returns a `posec3d.tables.table.Table`.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from posec3d import plan
from posec3d.stats import Interval
from posec3d.tables.length_bins import LengthBins, length_bins
from posec3d.tables.predictions import cell_interval, load_predictions, stats_settings
from posec3d.tables.table import Column, Table

ROOT = plan.ROOT
CLIPS_COLUMN = "clips"  # a binned table's clips per bin

SYNTHETIC_NOTE = ("Our numbers come from the synthetic world (profile {profile}), at scaled-down "
                  "sizes: compare trends with the paper, not absolute values.")


def git_commit(root: Path = ROOT) -> str:
    """The checkout's commit, with '+dirty' when tracked files have uncommitted changes."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, check=True,
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--"], cwd=root).returncode
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + ("+dirty" if dirty else "")


def count_input(config: dict[str, Any], table: str, row: str, model: str,
                at: str) -> tuple[str, dict[str, Any], tuple[int, ...]]:
    """The registered model, its options and one clip's input shape for a complexity cell.

    'paper': the recipe's model (paper widths, or the table's `paper_models` options: Volleyball's
    base width 16) at the table's declared paper input, else the model's own paper input
    (`default_input_shape`);
    'profile': the profile's model at the profile's input size for that dataset.
    """
    from posec3d.models import MODELS

    spec = plan.tables_of(config)[table]
    if at == "paper":
        recipe = plan.recipe(config, model)["model"]
        options = {k: v for k, v in recipe.items() if k != "name"}
        shape = spec.get("paper_inputs", {}).get(model) or MODELS[recipe["name"]].default_input_shape
        return recipe["name"], {**options, **spec.get("paper_models", {}).get(model, {})}, tuple(shape)
    run = plan.Run(row, plan.pose_source(config, "main", row), model, "joint", plan.UNIFORM, config["seed"])
    resolved = plan.run_config(config, run)
    options = {k: v for k, v in resolved["model"].items() if k != "name"}
    inp = resolved["input"]
    if "modality" in inp:  # heatmap volume: K x T x H x W
        return resolved["model"]["name"], options, (options.get("in_channels", 17), inp["clip_len"], *inp["size"])
    return resolved["model"]["name"], options, (inp["num_person"], inp["clip_len"], 17, options.get("in_channels", 3))


def _complexity(model: str, options: dict[str, Any], shape: tuple[int, ...]) -> tuple[float, float]:
    from posec3d.complexity import count
    from posec3d.models import build_model

    c = count(build_model(model, num_classes=60, **options), shape)
    return c.params / 1e6, c.macs / 1e9


def measured_speed(cell: plan.Cell, root: Path) -> tuple[float | None, str]:
    """A speed cell's clips per second (mean over its runs) and the hardware that measured it:
    training clips over training seconds from each run's history, or its test's own timing."""
    speeds, machines = [], set()
    for path in cell.speed_files:
        record = json.loads((root / path).read_text())
        if cell.speed == "train":
            clips, seconds = sum(e.get("clips", 0) for e in record), sum(e["seconds"] for e in record)
            speeds.append(clips / seconds if clips and seconds > 0 else None)
            machines.update(e["machine"] for e in record if "machine" in e)
        else:
            speeds.append(record.get("clips_per_second"))
            machines.update([record["machine"]] if "machine" in record else [])
    known = [v for v in speeds if v is not None]
    return (sum(known) / len(known) if len(known) == len(speeds) and known else None), "; ".join(sorted(machines))


def build_table(config: dict[str, Any], name: str, root: Path = ROOT) -> tuple[Table, list[str]]:
    """The filled table and the run folders behind it (paths relative to `root`).

    A table with `bins` (Figure 4) has a row per length bin of each dataset (`length_bins`), with
    the bin's clip count beside its accuracies.
    """
    table, run_dirs, _ = build_table_and_bins(config, name, root)
    return table, run_dirs


def build_table_and_bins(config: dict[str, Any], name: str,
                         root: Path = ROOT) -> tuple[Table, list[str], list[LengthBins]]:
    """`build_table`, with the length bins of a binned table (empty for any other)."""
    spec = plan.tables_of(config)[name]
    bins = [length_bins(config, name, row, root) for row in spec["rows"]] if "bins" in spec else []
    bins_of = {b.dataset: b for b in bins}
    rows = [key for b in bins for key in b.rows] or list(spec["rows"])
    dataset_of = {key: b.dataset for b in bins for key in b.rows} or {row: row for row in rows}
    figure = spec.get("figure", {})
    x = figure.get("x") if figure.get("kind") == "curves" else None  # the column field on the x axis
    columns = [Column(c["name"], c["label"], c["unit"], c.get("group", ""),
                      interval="run" in c and "speed" not in c, x=float(c[x]) if x in c else None)
               for c in spec["columns"]]
    if bins:
        columns.append(Column(CLIPS_COLUMN, "Clips", "clips"))
    paper = {(row, c["name"]): (c.get("paper") or {}).get(dataset_of[row])
             for row in rows for c in spec["columns"]}
    ours: dict[tuple[str, str], float | None] = {}
    intervals: dict[tuple[str, str], Interval] = {}
    stats = stats_settings(config)
    runs_of_row: dict[str, set[str]] = {row: set() for row in rows}
    counted: dict[tuple[str, str], tuple[float, float]] = {}
    unit = {c["name"]: c["unit"] for c in spec["columns"]}
    machines: dict[str, set[str]] = {row: set() for row in rows}
    for cell in plan.cells(config, name):
        if cell.speed is not None:
            ours[(cell.row, cell.column)], machine = measured_speed(cell, root)
            machines[cell.row].update([machine] if machine else [])
        elif cell.runs:
            metric = config["datasets"][cell.row]["metric"]
            predictions = load_predictions(cell, root)
            if cell.row in bins_of:
                parts = zip(bins_of[cell.row].rows, bins_of[cell.row].split(predictions))
            else:
                parts = [(cell.row, predictions)]
            for row, part in parts:
                runs_of_row[row].update(run.dir for run in cell.trained_runs)
                if bins:
                    ours[(row, CLIPS_COLUMN)] = float(len(part.labels))
                if len(part.labels):
                    interval = cell_interval(part, metric, stats)
                    ours[(row, cell.column)] = interval.value
                    intervals[(row, cell.column)] = interval
        elif cell.estimator is not None:
            metrics = json.loads((root / plan.estimator_files(cell.estimator)["metrics"]).read_text())
            ours[(cell.row, cell.column)] = metrics[cell.estimator_metric]
        else:
            model, options, shape = count_input(config, name, cell.row, cell.count_model, cell.count_at)
            key = (model, json.dumps([options, shape], sort_keys=True))
            if key not in counted:
                counted[key] = _complexity(model, options, shape)
            params, gmacs = counted[key]
            ours[(cell.row, cell.column)] = params if unit[cell.column] == "M" else gmacs
    commit = git_commit(root)
    provenance = {
        row: {
            "profile": config["profile"],
            "pose_source": ";".join(sorted({plan.parse_run_dir(d).poses for d in runs_of_row[row]})),
            "git_commit": commit,
            "metric": config["datasets"][dataset_of[row]]["metric"],
            "run_ids": ";".join(sorted(runs_of_row[row])),
            "mlflow_run_ids": ";".join(mlflow_ids(root, sorted(runs_of_row[row]))),
            **({"machine": "; ".join(sorted(machines[row]))} if machines[row] else {}),
        }
        for row in rows
    }
    notes = list(spec.get("notes", []))
    if not config.get("datasets_are_official", False):
        notes.insert(0, SYNTHETIC_NOTE.format(profile=config["profile"]))
    labels = {row: config["datasets"][row].get("label", row) for row in spec["rows"]}
    for b in bins:
        labels.update(zip(b.rows, b.labels(labels.pop(b.dataset))))
    table = Table(
        name=name, title=spec["title"], rows=rows, row_labels=labels,
        columns=columns, ours=ours, paper=paper, provenance=provenance, notes=notes,
        intervals=intervals, level=stats["level"], x_label=figure.get("label", "") if x else "",
    )
    return table, sorted(set().union(*runs_of_row.values())), bins


def mlflow_ids(root: Path, run_dirs: list[str]) -> list[str]:
    """The MLflow run ids recorded in the given run folders (those that have been logged)."""
    ids = []
    for run_dir in run_dirs:
        record = root / run_dir / "mlflow.json"
        if record.is_file():
            ids.append(json.loads(record.read_text())["run_id"])
    return ids
