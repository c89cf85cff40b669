"""Figure 4: a table's validation clips binned by their length, and its accuracies per bin.

A table declared with `bins: N` (Figure 4) splits each row's validation clips into N bins at the
quantiles of their lengths (total frames, read from the pose file its runs were tested on), so
that every bin holds about as many clips and its accuracy interval is as narrow as the next one.
The paper does not give its bins; quantiles are ours. Its rows become "<dataset>@<bin>".
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from posec3d import plan
from posec3d.atomic import atomic_path
from posec3d.storage import load_poses, split_clips
from posec3d.tables.predictions import Predictions
from posec3d.tables.table import Table

BIN_SEPARATOR = "@"


@dataclass(frozen=True)
class LengthBins:
    """One dataset's validation clips by length: bin i holds lengths in [edges[i], edges[i+1]),
    the last bin up to and including edges[-1]."""

    dataset: str
    edges: np.ndarray  # int [bins + 1]
    lengths: dict[str, int]  # clip (frame_dir) -> total frames

    @property
    def rows(self) -> list[str]:
        return [f"{self.dataset}{BIN_SEPARATOR}{i}" for i in range(len(self.edges) - 1)]

    def labels(self, dataset_label: str) -> list[str]:
        """"<dataset label>: 15-29 frames" per bin (inclusive bounds)."""
        last = len(self.edges) - 2
        return [f"{dataset_label}: {lo}-{hi if i == last else hi - 1} frames"
                for i, (lo, hi) in enumerate(zip(self.edges[:-1], self.edges[1:]))]

    def index(self, clips: np.ndarray) -> np.ndarray:
        """The bin of each clip (a clip outside the validation split is an error naming it)."""
        missing = [c for c in clips if c not in self.lengths]
        if missing:
            raise ValueError(f"{self.dataset}: clip {str(missing[0])!r} has no length in the pose file")
        lengths = np.array([self.lengths[c] for c in clips])
        return np.clip(np.searchsorted(self.edges, lengths, side="right") - 1, 0, len(self.edges) - 2)

    def split(self, predictions: Predictions) -> list[Predictions]:
        """The cell's predictions restricted to each bin's clips, in bin order."""
        which = self.index(predictions.clips)
        return [Predictions(predictions.clips[which == i], predictions.labels[which == i],
                            predictions.pred[:, which == i], predictions.files)
                for i in range(len(self.edges) - 1)]


def quantile_edges(lengths: np.ndarray, count: int) -> np.ndarray:
    """Integer bin edges at the quantiles of `lengths` (fewer bins where lengths repeat)."""
    if count < 1 or len(lengths) == 0:
        raise ValueError(f"need at least one bin and one clip, got {count} bins and {len(lengths)} clips")
    edges = np.unique(np.round(np.quantile(lengths, np.linspace(0, 1, count + 1))).astype(np.int64))
    return edges if len(edges) > 1 else np.array([edges[0], edges[0] + 1])


def lengths_file(config: dict[str, Any], table: str, row: str) -> str:
    """The pose file whose validation clips a binned row's runs were tested on."""
    run = next(c.runs[0] for c in plan.cells(config, table) if c.row == row and c.runs)
    return plan.pose_file(plan.data_of(config, run.dataset), run.poses)


def length_bins(config: dict[str, Any], table: str, row: str, root: Path = plan.ROOT) -> LengthBins:
    """The bins of a binned table's row, from its pose file's validation split."""
    count = plan.tables_of(config)[table]["bins"]
    if isinstance(count, bool) or not isinstance(count, int) or count < 2:
        raise ValueError(f"params/tables.yaml: table {table}: bins must be a whole number >= 2, got {count!r}")
    path = root / lengths_file(config, table, row)
    clips = split_clips(load_poses(path), config["datasets"][row]["splits"]["val"], str(path))
    lengths = {c["frame_dir"]: int(c["total_frames"]) for c in clips}
    return LengthBins(row, quantile_edges(np.array(list(lengths.values())), count), lengths)


def plot_length_bins(table: Table, bins: list[LengthBins], path: str | Path) -> None:
    """Per dataset: the histogram of its validation clip lengths with the bin edges (left), and each
    accuracy column against the bins with its intervals (right), as the paper's Figure 4."""
    table.check()
    fig = Figure(figsize=(12, 0.6 + 3.6 * len(bins)), layout="constrained")
    axes = fig.subplots(len(bins), 2, squeeze=False)
    columns = [c for c in table.columns if c.interval]
    for (hist, acc), b in zip(axes, bins):
        hist.hist(list(b.lengths.values()), bins=30, color="0.6")
        for edge in b.edges[1:-1]:
            hist.axvline(edge, color="0.2", linestyle=":", linewidth=1)
        hist.set_xlabel("clip length (frames)")
        hist.set_ylabel("validation clips")
        hist.set_title(f"{b.dataset}: {len(b.lengths)} validation clips", fontsize=10)
        x = np.arange(len(b.rows))
        for j, column in enumerate(columns):
            shift = (j - (len(columns) - 1) / 2) * 0.06
            values = [table.ours.get((row, column.name)) for row in b.rows]
            intervals = [table.intervals.get((row, column.name)) for row in b.rows]
            keep = [i for i, v in enumerate(values) if v is not None]
            error = [[values[i] - intervals[i].low for i in keep], [intervals[i].high - values[i] for i in keep]]
            acc.errorbar(x[keep] + shift, [values[i] for i in keep], yerr=error, marker="o", capsize=3,
                         color=f"C{j}", label=column.heading)
        acc.set_xticks(x, [textwrap.fill(label.split(": ", 1)[-1], 12) for label in
                           (table.label(row) for row in b.rows)])
        acc.set_xlabel("clip-length bin (quantiles)")
        acc.set_ylabel("accuracy (%)")
        acc.grid(alpha=0.3)
        acc.legend(fontsize=8, frameon=False)
        for ax in (hist, acc):
            ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(table.title, fontsize=12)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
