"""Late fusion: a weighted sum of class-score files of the same test videos (joint + limb)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from posec3d.engine.scores import ClassScores


def fuse(paths: list[str | Path], weights: list[float] | None = None) -> ClassScores:
    """Weighted sum of the scores in `paths`, aligned by clip id; labels must agree.

    Every file is read and checked (ClassScores.load) before any is summed, so a bad one raises
    ValueError naming it and nothing is fused.
    """
    if not paths:
        raise ValueError("fuse needs at least one score file")
    weights = list(weights) if weights is not None else [1.0] * len(paths)
    if len(weights) != len(paths):
        raise ValueError(f"{len(paths)} score files but {len(weights)} weights")
    for path, weight in zip(paths, weights):
        if not math.isfinite(weight):
            raise ValueError(f"{path}: its weight is {weight}; weights must be finite numbers")
    loaded = [ClassScores.load(path) for path in paths]
    first = loaded[0]
    order = {d: i for i, d in enumerate(first.frame_dirs)}
    total = np.zeros_like(first.scores, dtype=np.float64)
    for path, weight, other in zip(paths, weights, loaded):
        if set(other.frame_dirs) != set(order) or other.scores.shape != first.scores.shape:
            raise ValueError(f"{path}: scores are not of the same videos and classes as {paths[0]}")
        idx = np.array([order[d] for d in other.frame_dirs])
        if not np.array_equal(first.labels[idx], other.labels):
            raise ValueError(f"{path}: labels disagree with {paths[0]}")
        total[idx] += weight * other.scores
    fused = total.astype(np.float32)
    if not np.isfinite(fused).all():
        raise ValueError(f"weights {weights}: the fused scores overflow (beyond float32)")
    return ClassScores(fused, first.labels, first.frame_dirs)
