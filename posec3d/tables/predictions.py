"""The predicted classes behind an accuracy cell: every seed's test scores, aligned by clip.

A cell's runs (one per seed) and the two cells of a claim are compared on the same validation
clips, so their class-score files are read here, sorted by clip id and checked to hold the same
clips with the same labels; anything else is an error naming the files, never a silent subset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from posec3d import plan
from posec3d.engine.scores import ClassScores
from posec3d.stats import Interval, bootstrap_interval


@dataclass(frozen=True)
class Predictions:
    """Predicted classes [seeds, clips] of one cell, with the clips' ids and labels, sorted by id."""

    clips: np.ndarray  # str [n]
    labels: np.ndarray  # int [n]
    pred: np.ndarray  # int [S, n]
    files: tuple[str, ...]  # the class-score files read, one per seed

    def check_same_clips(self, other: Predictions) -> None:
        """Raise ValueError naming both cells' files unless they hold the same clips and labels."""
        if not (np.array_equal(self.clips, other.clips) and np.array_equal(self.labels, other.labels)):
            missing = sorted(set(self.clips.tolist()) ^ set(other.clips.tolist()))[:3]
            detail = f"clips in one but not the other: {missing}" if missing else "labels differ"
            raise ValueError(f"{self.files[0]} and {other.files[0]}: not the same validation clips "
                             f"({detail}); a paired comparison needs the same clips")


def load_predictions(cell: plan.Cell, root: Path = plan.ROOT) -> Predictions:
    """The argmax class of every clip in each seed's `test_<k>clip.npz` of an accuracy cell."""
    if not cell.runs:
        raise ValueError(f"table {cell.table}: cell {cell.row}.{cell.column} has no runs")
    files = cell.scores_files
    seeds = []
    for file in files:
        scores = ClassScores.load(root / file)
        order = np.argsort(scores.frame_dirs, kind="stable")
        seeds.append(Predictions(scores.frame_dirs[order], scores.labels[order],
                                 scores.scores[order].argmax(1)[None], (file,)))
        seeds[0].check_same_clips(seeds[-1])
    return Predictions(seeds[0].clips, seeds[0].labels, np.concatenate([p.pred for p in seeds]), files)


STATS_DEFAULTS = {"level": 0.95, "replicates": 2000, "seed": 0}
MIN_CLIPS_DEFAULT = 30  # below this many paired clips a claim's verdict is "inconclusive"


def stats_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The profile's bootstrap settings (`stats:`): interval level, replicates, resampling seed.

    One resampling seed for the whole profile: every cell on the same validation clips is
    resampled the same way, so the intervals of a row and the paired differences agree.
    (`stats.min_clips`, read by `min_clips`, is not a bootstrap setting.)
    """
    settings = {**STATS_DEFAULTS, **config.get("stats", {})}
    settings.pop("min_clips", None)
    return settings


def min_clips(config: dict[str, Any]) -> int:
    """The fewest paired validation clips on which a claim gets a verdict other than inconclusive."""
    return int(config.get("stats", {}).get("min_clips", MIN_CLIPS_DEFAULT))


def cell_interval(predictions: Predictions, metric: str, stats: dict[str, Any]) -> Interval:
    """The cell's value (mean over seeds) and its bootstrap interval over clips."""
    return bootstrap_interval(predictions.pred, predictions.labels, metric, **stats)
