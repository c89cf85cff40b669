"""Cost against the number of persons (Sec. 4.4.3, Volleyball): measured, not assumed.

A GCN takes every person as its own graph (input M x T x V x C), so its multiply-adds grow with
M; the 3D-CNN draws every person into the same K x T x H x W heatmap volume, so its cost does not
depend on M. Both are measured here the same way: a clip of M persons goes through the model's
real input pipeline (posec3d.data, at the table's paper input), and the model is counted on the
input that comes out (posec3d.complexity). The figure sets these curves beside the table's
accuracies.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from posec3d import plan
from posec3d.atomic import atomic_path
from posec3d.complexity import count
from posec3d.data import build_input
from posec3d.models import MODELS, build_model
from posec3d.skeleton import NUM_JOINTS
from posec3d.tables.build import count_input
from posec3d.tables.table import Table, TableError, plot_panel


def clip_of_persons(persons: int, frames: int, img_shape: tuple[int, int] = (720, 1280)) -> dict[str, Any]:
    """A clip of `persons` persons standing side by side (deterministic, every joint seen)."""
    rng = np.random.default_rng(persons)
    height, width = img_shape
    centres = np.column_stack([np.linspace(0.1, 0.9, persons) * width, np.full(persons, 0.5 * height)])
    offsets = rng.normal(0.0, 0.03 * height, (persons, frames, NUM_JOINTS, 2))
    keypoint = (centres[:, None, None, :] + offsets).astype(np.float32)
    return {"frame_dir": f"persons_{persons}", "label": 0, "img_shape": img_shape, "total_frames": frames,
            "keypoint": keypoint, "keypoint_score": np.ones((persons, frames, NUM_JOINTS), np.float32)}


def model_input_shape(model: str, input_cfg: dict[str, Any], clip: dict[str, Any]) -> tuple[int, ...]:
    """The shape of one clip's model input, without the batch dimension, as the pipeline makes it."""
    adapter = build_input(MODELS[model].input_kind, input_cfg)
    batch = adapter.collate([adapter.prepare(clip, 1, True, None)])
    return tuple(adapter.to_model(batch, torch.device("cpu")).shape[1:])


def paper_input_config(config: dict[str, Any], table: str, model: str, persons: int) -> dict[str, Any]:
    """The recipe's input settings at the table's paper input shape, for clips of `persons` persons:
    K x T x H x W for a volume, M x T x V x C (num_person = M) for coordinates."""
    shape = tuple(plan.tables_of(config)[table]["paper_inputs"][model])
    settings = dict(plan.recipe(config, model)["input"])
    if MODELS[model].input_kind == "volume":
        return {**settings, "clip_len": shape[1], "size": list(shape[2:])}
    return {**settings, "clip_len": shape[1], "num_person": persons}


def macs_by_persons(config: dict[str, Any], table: str, model: str, persons: list[int]) -> list[float]:
    """GMACs of one clip (FC left out) with each number of persons, the model at the paper's size."""
    row = plan.tables_of(config)[table]["rows"][0]
    _, options, _ = count_input(config, table, row, model, "paper")
    coordinates = MODELS[model].input_kind == "coordinates"  # a GCN is built for its number of persons
    net = None if coordinates else build_model(model, num_classes=8, **options)
    out = []
    for m in persons:
        cfg = paper_input_config(config, table, model, m)
        clip = clip_of_persons(m, int(cfg["clip_len"]))
        model_m = build_model(model, num_classes=8, **{**options, "num_person": m}) if coordinates else net
        out.append(count(model_m, model_input_shape(model, cfg, clip)).macs / 1e9)
    return out


def persons_sweep(config: dict[str, Any], table: str) -> dict[str, list[float]]:
    """Model -> its GMACs for 1..`figure.persons` persons (the table's `figure.models`)."""
    figure = plan.tables_of(config)[table]["figure"]
    persons = list(range(1, int(figure["persons"]) + 1))
    return {"persons": [float(m) for m in persons],
            **{model: macs_by_persons(config, table, model, persons) for model in figure["models"]}}


def plot_scaling(table: Table, sweep: dict[str, list[float]], labels: dict[str, str], path: str | Path) -> None:
    """Write the PNG: GMACs against persons per model (left), the table's accuracies (right)."""
    table.check()
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise TableError(f"{path}: plot_scaling writes PNG; the name must end in .png")
    fig = Figure(figsize=(11.0, 4.2), layout="constrained")
    cost, accuracy = fig.subplots(1, 2, width_ratios=[1.0, 1.2])
    persons = sweep["persons"]
    for i, (model, macs) in enumerate((k, v) for k, v in sweep.items() if k != "persons"):
        cost.plot(persons, macs, marker="o", color=f"C{i}", label=f"{labels.get(model, model)} (measured)")
    cost.set_xlabel("persons in the clip")
    cost.set_ylabel("GMACs per clip (FC left out)")
    cost.set_xticks(persons)
    cost.set_ylim(bottom=0)
    cost.grid(alpha=0.3)
    cost.spines[["top", "right"]].set_visible(False)
    cost.legend(frameon=False, fontsize=9)
    cost.set_title(textwrap.fill("Cost against the number of persons, at the paper's input", 50), fontsize=10)
    plot_panel(accuracy, table, "%", [c for c in table.columns if c.unit == "%"])
    accuracy.set_xticks(range(len(table.rows)), [textwrap.fill(table.label(r), 22) for r in table.rows])
    fig.suptitle(table.title, fontsize=12)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
