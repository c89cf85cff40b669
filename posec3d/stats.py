"""Uncertainty of the accuracy cells and verdicts on the paper's claims (issue 9).

Pure functions of predicted classes and labels: a percentile bootstrap over validation clips
(the same resampled clips for every seed and for both sides of a comparison, so that a
difference between two cells on the same clips is a paired bootstrap), an exact McNemar test,
the verdict of a claim from the interval of a difference, and the number of paired clips a
comparison needs. Accuracies are in percent, as in `posec3d.engine.metrics`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from posec3d.engine.metrics import accuracy_metrics

METRICS = ("top1", "mean_class_top1")


@dataclass(frozen=True)
class Interval:
    """A point value with its two-sided interval (percent or percentage points), on n clips, averaged over seeds.

    `seed_sd` is the sample standard deviation of the per-seed values (None for one seed): the
    spread from training, beside the interval's spread from the choice of validation clips.
    """

    value: float
    low: float
    high: float
    n: int
    seeds: int
    seed_sd: float | None = None


def bootstrap_weights(n: int, replicates: int = 2000, seed: int = 0) -> np.ndarray:
    """Resampling counts [replicates, n]: each row draws n clips with replacement (deterministic for a seed)."""
    if n <= 0 or replicates <= 0:
        raise ValueError(f"need n > 0 and replicates > 0, got n={n}, replicates={replicates}")
    return np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=replicates)


def _as_seeds(pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Predicted classes as [S, n] (one row per seed), checked against labels [n]."""
    pred = np.asarray(pred)
    pred = pred[None] if pred.ndim == 1 else pred
    if pred.ndim != 2 or pred.shape[1] != len(labels) or len(labels) == 0 or len(pred) == 0:
        raise ValueError(f"predictions {pred.shape} and labels {np.shape(labels)} do not match")
    return pred


def metric_values(
    pred: np.ndarray,
    labels: np.ndarray,
    metric: str,
    weights: np.ndarray | None = None,
    num_classes: int | None = None,
) -> float | np.ndarray:
    """The metric (percent) of predicted classes pred [S, n] or [n], averaged over the S seeds.

    Without weights: a float, exactly `accuracy_metrics` of each seed (then averaged). With
    weights [B, n] (clip counts, e.g. from `bootstrap_weights`): [B] values, clip i counting
    weights[b, i] times in replicate b, vectorised over replicates; a class whose clips all
    have weight 0 behaves as a class with no test clip (mmaction2's mean_class_accuracy: the
    mean over the classes that occur in the weighted labels or predictions, a predicted class
    without clips counting 0).
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")
    labels = np.asarray(labels)
    pred = _as_seeds(pred, labels)
    num_classes = max(num_classes or 0, int(labels.max()) + 1, int(pred.max()) + 1)
    eye = np.eye(num_classes)
    if weights is None:  # the project's own metric, so that a cell's value is the table's value
        return float(np.mean([accuracy_metrics(eye[p], labels, num_classes)[metric] for p in pred]))
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2 or weights.shape[1] != len(labels):
        raise ValueError(f"weights {weights.shape} do not match {len(labels)} clips")
    hit = (pred == labels).astype(float)  # [S, n]
    if metric == "top1":
        return ((weights @ hit.T) / weights.sum(axis=1, keepdims=True) * 100).mean(axis=1)
    onehot = eye[labels]  # [n, C]
    clips = weights @ onehot  # [B, C] weighted clips per class
    values = []
    for p, h in zip(pred, hit):  # a loop over seeds only
        per_class = np.divide(weights @ (onehot * h[:, None]), clips, out=np.zeros_like(clips), where=clips > 0)
        counted = (clips > 0) | (weights @ eye[p] > 0)
        values.append((per_class * counted).sum(axis=1) / counted.sum(axis=1) * 100)
    return np.mean(values, axis=0)


def _percentiles(values: np.ndarray, level: float) -> tuple[float, float]:
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    low, high = np.percentile(values, [50 * (1 - level), 50 * (1 + level)])
    return float(low), float(high)


def bootstrap_interval(
    pred: np.ndarray,
    labels: np.ndarray,
    metric: str,
    *,
    level: float = 0.95,
    replicates: int = 2000,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap interval of the metric over clips, the same resampled clips for every seed."""
    pred = _as_seeds(pred, labels)
    weights = bootstrap_weights(len(labels), replicates, seed)
    low, high = _percentiles(metric_values(pred, labels, metric, weights), level)
    per_seed = [metric_values(p, labels, metric) for p in pred]
    seed_sd = float(np.std(per_seed, ddof=1)) if len(pred) > 1 else None
    return Interval(float(np.mean(per_seed)), low, high, len(labels), len(pred), seed_sd)


def _contrast_replicates(preds: list[np.ndarray], coefs: list[float], labels: np.ndarray, metric: str,
                         replicates: int, seed: int) -> tuple[float, np.ndarray, int]:
    """sum_i coefs[i] * metric(preds[i]) on the clips, its bootstrap replicates [replicates] (each
    resampling the clips once for every side), and the smallest seed count."""
    preds = [_as_seeds(p, labels) for p in preds]
    num_classes = int(max(max(p.max() for p in preds), np.max(labels))) + 1
    weights = bootstrap_weights(len(labels), replicates, seed)
    diff = sum(c * metric_values(p, labels, metric, weights, num_classes) for c, p in zip(coefs, preds))
    value = sum(c * metric_values(p, labels, metric) for c, p in zip(coefs, preds))
    return float(value), diff, min(len(p) for p in preds)


def paired_difference(
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    labels: np.ndarray,
    metric: str,
    *,
    level: float = 0.95,
    replicates: int = 2000,
    seed: int = 0,
) -> Interval:
    """Paired bootstrap interval of metric(A) - metric(B) (percentage points) on the same clips.

    A and B may have different seed counts; each replicate resamples the clips once and
    evaluates both on them, so the clip-to-clip variation they share cancels. `seeds` is the
    smaller of the two seed counts.
    """
    return paired_contrast([pred_a, pred_b], [1.0, -1.0], labels, metric, level=level, replicates=replicates,
                           seed=seed)


def paired_contrast(
    preds: list[np.ndarray],
    coefs: list[float],
    labels: np.ndarray,
    metric: str,
    *,
    level: float = 0.95,
    replicates: int = 2000,
    seed: int = 0,
) -> Interval:
    """Paired bootstrap interval of sum_i coefs[i] * metric(preds[i]) on the same clips (Figure 5:
    how much less one model drops than another, (A_cross - A_ref) - (B_cross - B_ref))."""
    if len(preds) != len(coefs) or not preds:
        raise ValueError(f"need one coefficient per prediction, got {len(coefs)} for {len(preds)}")
    value, diff, seeds = _contrast_replicates(list(preds), list(coefs), labels, metric, replicates, seed)
    return Interval(value, *_percentiles(diff, level), len(labels), seeds)


def difference_growth(
    first: tuple[np.ndarray, np.ndarray, np.ndarray],
    last: tuple[np.ndarray, np.ndarray, np.ndarray],
    metric: str,
    *,
    level: float = 0.95,
    replicates: int = 2000,
    seed: int = 0,
) -> Interval:
    """How much more A beats B on one set of clips than on another, disjoint one (Figure 4: the
    longest against the shortest clips): (A - B on `last`) - (A - B on `first`), each given as
    (pred_a, pred_b, labels). Each set is resampled on its own (paired within, independent
    between: the sets share no clip); `n` is the smaller set."""
    value_first, diff_first, seeds_first = _contrast_replicates(
        [first[0], first[1]], [1.0, -1.0], first[2], metric, replicates, seed)
    value_last, diff_last, seeds_last = _contrast_replicates(
        [last[0], last[1]], [1.0, -1.0], last[2], metric, replicates, seed + 1)
    return Interval(value_last - value_first, *_percentiles(diff_last - diff_first, level),
                    min(len(first[2]), len(last[2])), min(seeds_first, seeds_last))


def mcnemar_exact(correct_a: np.ndarray, correct_b: np.ndarray) -> float:
    """Two-sided exact McNemar p-value: the discordant clips are Binomial(b + c, 1/2) under no difference."""
    correct_a, correct_b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if correct_a.ndim != 1 or correct_a.shape != correct_b.shape:
        raise ValueError(f"need one seed of each on the same clips, got {correct_a.shape} and {correct_b.shape}")
    b, c = int((correct_a & ~correct_b).sum()), int((~correct_a & correct_b).sum())
    tail = sum(math.comb(b + c, k) for k in range(min(b, c) + 1))  # exact integers
    return min(1.0, 2 * tail / 2 ** (b + c))


def verdict(kind: str, difference: Interval, margin: float = 0.0, min_clips: int = 0) -> str:
    """Verdict on a claim about A - B from its two-sided interval (95%: a paired test at alpha 0.05).

    "better": A > B; "not_worse": A > B - margin (margin in percentage points); "grows": the
    interval is of `difference_growth`, and the growth is above 0; "smaller_drop": the interval is
    of `paired_contrast` (A's drop less B's), above 0. "reproduced"
    when the whole interval lies on the claimed side, "contradicted" when it lies wholly on
    the other, "inconclusive" otherwise, and always when fewer than `min_clips` clips were
    compared: on a handful of clips the bootstrap collapses (two models right on the same 5
    clips give the interval [0, 0]) and would call a non-inferiority claim reproduced.
    """
    if difference.n < min_clips:
        return "inconclusive"
    if kind in ("better", "grows", "smaller_drop"):
        bound = 0.0
    elif kind == "not_worse":
        bound = -margin
    else:
        raise ValueError(f"unknown claim kind {kind!r}; expected 'better', 'not_worse', 'grows' or 'smaller_drop'")
    if difference.low > bound:
        return "reproduced"
    if difference.high < bound:
        return "contradicted"
    return "inconclusive"


def clips_for_power(difference_pp: float = 3.0, *, discordance: float, power: float = 0.8, alpha: float = 0.05) -> int:
    """Paired validation clips needed for McNemar's test to detect A - B = difference_pp at the given power.

    Connor (1987), normal approximation, two-sided level alpha: with d = difference_pp / 100
    = p10 - p01 (clips only A gets right minus clips only B gets right) and psi = discordance
    = p10 + p01 (the fraction of clips on which A and B disagree about correctness),

        n = ceil((z_{1-alpha/2} sqrt(psi) + z_{power} sqrt(psi - d^2))^2 / d^2).

    Assumes independent clips and d <= psi; more discordance needs more clips. The paired
    bootstrap of top-1 tests the same hypothesis and needs about as many.
    """
    d = difference_pp / 100
    if not 0 < d <= discordance <= 1 or not 0 < power < 1 or not 0 < alpha < 1:
        raise ValueError(f"need 0 < d={d} <= discordance={discordance} <= 1, power and alpha in (0, 1)")
    z = NormalDist().inv_cdf
    return math.ceil(
        (z(1 - alpha / 2) * math.sqrt(discordance) + z(power) * math.sqrt(discordance - d * d)) ** 2 / d**2
    )
