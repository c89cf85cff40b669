"""The model leaderboard (params/tables.yaml `leaderboard:`): one row per model and dataset.

`posec3d.plan` declares the leaderboard's cells per model (accuracy with k clips, parameters and
multiply-adds at the paper's and at the profile's input, training and test speed), so the usual
table builder fills them, one row per dataset; this module turns that into one row per
(model, dataset) and draws accuracy against multiply-adds, one point per row, with intervals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from posec3d import plan
from posec3d.atomic import atomic_path
from posec3d.tables.build import measured_speed, mlflow_ids
from posec3d.tables.table import Column, Table, TableError

ROW = "@"  # joins a model and a dataset in a leaderboard row's key, e.g. "pa3d@ntu60"
MARKERS = "osD^vP*X"  # one per dataset


def pivot(config: dict[str, Any], wide: Table, root: Path = plan.ROOT) -> Table:
    """The per-dataset table of a leaderboard as one row per model and dataset, with the run
    folders, MLflow runs and measuring hardware of that model's runs as each row's provenance."""
    models = plan.leaderboard_models(config, wide.name)
    first = [c for c in wide.columns if c.name.startswith(models[0] + plan.BOARD)]
    columns = [Column(c.name.split(plan.BOARD, 1)[1], c.label, c.unit, interval=c.interval) for c in first]
    speeds = {(c.row, c.column): c for c in plan.cells(config, wide.name) if c.speed is not None}
    rows, labels, ours, paper, intervals, provenance = [], {}, {}, {}, {}, {}
    for model in models:
        for dataset in wide.rows:
            row = f"{model}{ROW}{dataset}"
            rows.append(row)
            labels[row] = f"{model} · {wide.label(dataset)}"
            for column in columns:
                key = (dataset, f"{model}{plan.BOARD}{column.name}")
                ours[(row, column.name)] = wide.ours.get(key)
                paper[(row, column.name)] = wide.paper.get(key)
                if key in wide.intervals:
                    intervals[(row, column.name)] = wide.intervals[key]
            dirs = sorted(d for d in wide.provenance[dataset]["run_ids"].split(";")
                          if d and plan.parse_run_dir(d).model == model)
            machines = {measured_speed(cell, root)[1] for key, cell in speeds.items()
                        if key[0] == dataset and key[1].startswith(model + plan.BOARD)} - {""}
            provenance[row] = {**wide.provenance[dataset], "run_ids": ";".join(dirs),
                               "mlflow_run_ids": ";".join(mlflow_ids(root, dirs)),
                               "machine": "; ".join(sorted(machines))}
    return Table(name=wide.name, title=wide.title, rows=rows, row_labels=labels, columns=columns, ours=ours,
                 paper=paper, provenance=provenance, notes=wide.notes, intervals=intervals, level=wide.level)


def plot_leaderboard(table: Table, path: str | Path) -> None:
    """Accuracy (the most clips tested) against multiply-adds at the profile's input, one point per
    model and dataset (colour: model, marker: dataset, a model's datasets side by side around its
    x), with the accuracy's interval."""
    table.check()
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise TableError(f"{path}: plot_leaderboard writes PNG; the name must end in .png")
    accuracy = [c for c in table.columns if c.unit == "%"][-1]
    models = list(dict.fromkeys(row.split(ROW)[0] for row in table.rows))
    datasets = list(dict.fromkeys(row.split(ROW)[1] for row in table.rows))
    fig = Figure(figsize=(8.5, 5.0), layout="constrained")
    ax = fig.subplots()
    for row in table.rows:
        model, dataset = row.split(ROW)
        x, y = table.ours.get((row, "gmacs_profile")), table.ours.get((row, accuracy.name))
        if x is None or y is None:
            continue
        interval = table.intervals.get((row, accuracy.name))
        error = [[y - interval.low], [interval.high - y]] if interval is not None else None
        shift = 1.0 + 0.05 * (datasets.index(dataset) - (len(datasets) - 1) / 2)  # datasets side by side
        ax.errorbar([x * shift], [y], yerr=error, marker=MARKERS[datasets.index(dataset) % len(MARKERS)],
                    color=f"C{models.index(model) % 10}", capsize=3, markersize=7, linestyle="")
    ax.set_xscale("log")
    ax.set_xlabel("GMACs per clip at the profile's input (FC left out; log scale)")
    ax.set_ylabel(f"accuracy, {accuracy.label} (%)")
    ax.grid(alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    handles = [Line2D([], [], color=f"C{i % 10}", marker="o", linestyle="", label=m) for i, m in enumerate(models)]
    handles += [Line2D([], [], color="0.4", marker=MARKERS[i % len(MARKERS)], linestyle="", label=d)
                for i, d in enumerate(datasets)]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    fig.suptitle(table.title, fontsize=12)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
