"""Accuracy metrics of the paper: Top-1 (NTU, Kinetics), Mean-class Top-1 (FineGYM), per class."""

from __future__ import annotations

from typing import Any

import numpy as np


def accuracy_metrics(scores: np.ndarray, labels: np.ndarray, num_classes: int | None = None) -> dict[str, Any]:
    """Top-1, Top-5, mean-class Top-1 and per-class Top-1 (in percent) of class scores [N, C].

    Mean-class accuracy averages over the classes present in `labels` (mmaction2's
    mean_class_accuracy); per_class has NaN for classes with no test clip.
    """
    if scores.ndim != 2 or len(scores) != len(labels) or len(labels) == 0:
        raise ValueError(f"scores {scores.shape} and labels {labels.shape} do not match")
    num_classes = num_classes or scores.shape[1]
    pred = scores.argmax(axis=1)
    hit = pred == labels
    top5 = np.argsort(-scores, axis=1)[:, :5]
    per_class = np.full(num_classes, np.nan)
    for c in np.unique(labels):
        per_class[c] = hit[labels == c].mean() * 100
    return {
        "top1": float(hit.mean() * 100),
        "top5": float((top5 == labels[:, None]).any(axis=1).mean() * 100),
        "mean_class_top1": float(np.nanmean(per_class)),
        "per_class_top1": [None if np.isnan(v) else float(v) for v in per_class],
        "num_videos": int(len(labels)),
    }
