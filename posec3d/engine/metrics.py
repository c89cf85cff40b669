"""Accuracy metrics of the paper: Top-1 (NTU, Kinetics), Mean-class Top-1 (FineGYM), per class."""

from __future__ import annotations

from typing import Any

import numpy as np


def accuracy_metrics(scores: np.ndarray, labels: np.ndarray, num_classes: int | None = None) -> dict[str, Any]:
    """Top-1, Top-5, mean-class Top-1 and per-class Top-1 (in percent) of class scores [N, C].

    mean_class_top1 is mmaction2's mean_class_accuracy (the reference code's FineGYM metric):
    the mean over the classes that occur in the labels or in the predictions, a class that
    is predicted but has no test clip counting 0. On a test set where every
    class has clips this is the plain mean of the per-class accuracies; on a subset it is
    lower than that. per_class_top1 has None for classes with no test clip.
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
    counted = np.union1d(labels, pred)  # mmaction2: predicted classes without clips count 0
    return {
        "top1": float(hit.mean() * 100),
        "top5": float((top5 == labels[:, None]).any(axis=1).mean() * 100),
        "mean_class_top1": float(np.nan_to_num(per_class[counted], nan=0.0).mean()),
        "per_class_top1": [None if np.isnan(v) else float(v) for v in per_class],
        "num_videos": int(len(labels)),
    }
