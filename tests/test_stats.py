"""posec3d.stats against independent computations on constructed cases (issue 9)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from posec3d.engine.metrics import accuracy_metrics
from posec3d.stats import (
    Interval,
    bootstrap_interval,
    bootstrap_weights,
    clips_for_power,
    mcnemar_exact,
    metric_values,
    paired_contrast,
    paired_difference,
    verdict,
)

METRICS = ["top1", "mean_class_top1"]


def _scores(n: int, num_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random scores [n, C] and labels that leave some classes without clips (but predicted)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes - 3, n)  # the last 3 classes have no clip
    scores = rng.normal(size=(n, num_classes))
    scores[np.arange(n), labels] += 1.0  # better than chance, not perfect
    return scores, labels


@pytest.mark.parametrize("metric", METRICS)
def test_metric_values_agree_with_accuracy_metrics(metric):
    scores, labels = _scores(300, 17, seed=1)
    expected = accuracy_metrics(scores, labels, 17)[metric]
    pred = scores.argmax(axis=1)
    assert np.union1d(labels, pred).size > np.unique(labels).size  # predicted classes without clips occur
    assert metric_values(pred, labels, metric, num_classes=17) == expected
    assert metric_values(pred, labels, metric, weights=np.ones((1, 300)), num_classes=17)[0] == pytest.approx(
        expected, rel=1e-12
    )
    other, _ = _scores(300, 17, seed=2)
    seeds = np.stack([pred, other.argmax(axis=1)])
    both = (expected + accuracy_metrics(other, labels, 17)[metric]) / 2
    assert metric_values(seeds, labels, metric) == pytest.approx(both, rel=1e-12)


@pytest.mark.parametrize("metric", METRICS)
def test_weighted_metric_equals_repeated_clips(metric):
    """Replicate b is the validation set with clip i repeated weights[b, i] times: a slow loop over replicates."""
    scores, labels = _scores(40, 12, seed=3)
    other, _ = _scores(40, 12, seed=4)
    seeds = np.stack([scores.argmax(axis=1), other.argmax(axis=1)])
    uneven = np.random.default_rng(6).integers(0, 3, (2, 40))  # counts that do not sum to n
    weights = np.vstack([bootstrap_weights(40, replicates=6, seed=5), uneven])
    present = np.unique(labels)
    assert any(np.setdiff1d(present, np.repeat(labels, w)).size for w in weights)  # some class drops out
    clips = np.arange(40)
    slow = [
        np.mean([accuracy_metrics(s[np.repeat(clips, w)], np.repeat(labels, w), 12)[metric] for s in (scores, other)])
        for w in weights
    ]
    np.testing.assert_allclose(metric_values(seeds, labels, metric, weights, 12), slow, rtol=1e-12)


def test_bootstrap_weights_resample_n_clips_deterministically():
    weights = bootstrap_weights(50, replicates=300, seed=7)
    assert weights.shape == (300, 50) and (weights.sum(axis=1) == 50).all() and (weights >= 0).all()
    assert weights.mean() == pytest.approx(1.0) and weights.var() == pytest.approx(1 - 1 / 50, rel=0.1)  # multinomial
    np.testing.assert_array_equal(weights, bootstrap_weights(50, replicates=300, seed=7))
    assert not np.array_equal(weights, bootstrap_weights(50, replicates=300, seed=8))


@pytest.mark.parametrize("metric", METRICS)
def test_identical_predictions_give_a_zero_width_difference(metric):
    scores, labels = _scores(200, 10, seed=9)
    pred = scores.argmax(axis=1)
    diff = paired_difference(pred, pred, labels, metric)
    assert (diff.value, diff.low, diff.high) == (0.0, 0.0, 0.0)
    assert verdict("better", diff) == "inconclusive"
    assert verdict("not_worse", diff, margin=1.0) == "reproduced"


def test_right_everywhere_against_right_on_half():
    labels = np.arange(200) % 5
    a = labels.copy()
    b = np.where(np.arange(200) % 2 == 0, labels, (labels + 1) % 5)  # right on every other clip
    for metric in METRICS:
        diff = paired_difference(a, b, labels, metric)
        assert diff.value == pytest.approx(50.0) and 0 < diff.low <= diff.value <= diff.high
        assert verdict("better", diff) == "reproduced"
        assert verdict("better", paired_difference(b, a, labels, metric)) == "contradicted"
    assert mcnemar_exact(a == labels, b == labels) == pytest.approx(2 * 0.5**100)


def test_interval_contains_the_value_and_shrinks_as_one_over_sqrt_n():
    widths = []
    for n in (100, 1600):
        labels = np.arange(n) % 4
        pred = np.where(np.arange(n) % 10 < 7, labels, (labels + 1) % 4)  # exactly 70% right
        interval = bootstrap_interval(pred, labels, "top1")
        assert interval.value == pytest.approx(70.0) and interval.low < interval.value < interval.high
        assert (interval.n, interval.seeds) == (n, 1)
        widths.append(interval.high - interval.low)
        normal = 2 * sps.norm.ppf(0.975) * np.sqrt(0.7 * 0.3 / n) * 100  # the binomial standard error
        assert widths[-1] == pytest.approx(normal, rel=0.12)
    assert widths[0] / widths[1] == pytest.approx(4.0, rel=0.15)


def test_intervals_are_deterministic_for_a_seed():
    scores, labels = _scores(150, 8, seed=10)
    pred = scores.argmax(axis=1)
    first = bootstrap_interval(pred, labels, "mean_class_top1", seed=3)
    assert bootstrap_interval(pred, labels, "mean_class_top1", seed=3) == first
    assert bootstrap_interval(pred, labels, "mean_class_top1", seed=4) != first
    diff = paired_difference(pred, labels, labels, "top1", seed=3)
    assert paired_difference(pred, labels, labels, "top1", seed=3) == diff


@pytest.mark.parametrize("metric", METRICS)
def test_two_identical_seeds_give_the_interval_of_one(metric):
    scores, labels = _scores(120, 9, seed=11)
    pred = scores.argmax(axis=1)
    one, two = bootstrap_interval(pred, labels, metric), bootstrap_interval(np.stack([pred, pred]), labels, metric)
    assert (two.value, two.low, two.high, two.seeds) == (one.value, one.low, one.high, 2)
    other, _ = _scores(120, 9, seed=12)
    three = np.stack([pred, other.argmax(axis=1), pred])
    diff = paired_difference(three, pred, labels, metric)  # different seed counts on the two sides
    assert diff.seeds == 1 and diff.value == pytest.approx(metric_values(three, labels, metric) - one.value)


def test_mcnemar_exact_matches_scipy_binomtest():
    # discordance table: 12 clips only A gets right, 4 only B, 50 both, 34 neither
    a = np.repeat([True, False, True, False], [12, 4, 50, 34])
    b = np.repeat([False, True, True, False], [12, 4, 50, 34])
    assert mcnemar_exact(a, b) == pytest.approx(sps.binomtest(12, 16, 0.5).pvalue, rel=1e-12)
    assert mcnemar_exact(b, a) == pytest.approx(sps.binomtest(4, 16, 0.5).pvalue, rel=1e-12)
    big_a = np.repeat([True, False], [170, 130])
    assert mcnemar_exact(big_a, ~big_a) == pytest.approx(sps.binomtest(170, 300, 0.5).pvalue, rel=1e-9)
    assert mcnemar_exact(a, a) == 1.0 and mcnemar_exact(a[:8], b[:8]) < 0.01  # 8 discordant, all one way
    with pytest.raises(ValueError):
        mcnemar_exact(np.stack([a, a]), np.stack([b, b]))


@pytest.mark.parametrize(
    ("kind", "low", "high", "margin", "expected"),
    [
        ("better", 0.5, 4.0, 0.0, "reproduced"),
        ("better", -0.5, 4.0, 0.0, "inconclusive"),
        ("better", -4.0, -0.5, 0.0, "contradicted"),
        ("better", 0.0, 4.0, 0.0, "inconclusive"),
        ("not_worse", -0.5, 2.0, 1.0, "reproduced"),
        ("not_worse", -1.5, 2.0, 1.0, "inconclusive"),
        ("not_worse", -3.0, -1.5, 1.0, "contradicted"),
        ("not_worse", -3.0, -0.5, 1.0, "inconclusive"),
    ],
)
def test_verdict(kind, low, high, margin, expected):
    assert verdict(kind, Interval((low + high) / 2, low, high, 100, 1), margin) == expected


def test_verdict_rejects_unknown_kinds():
    with pytest.raises(ValueError, match="ordering"):
        verdict("ordering", Interval(1.0, 0.5, 1.5, 100, 1))


def test_clips_for_power_formula_and_simulated_power():
    d, psi = 0.03, 0.10
    z_a, z_b = sps.norm.ppf(0.975), sps.norm.ppf(0.8)
    textbook = (z_a * np.sqrt(psi) + z_b * np.sqrt(psi - d**2)) ** 2 / d**2  # Connor 1987
    n = clips_for_power(3.0, discordance=psi)
    assert n == int(np.ceil(textbook)) == 870
    assert clips_for_power(3.0, discordance=0.2) > n > clips_for_power(5.0, discordance=psi)
    # simulated power of McNemar's normal test (no continuity correction) on n clips
    rng = np.random.default_rng(0)
    b, c, _ = rng.multinomial(n, [(psi + d) / 2, (psi - d) / 2, 1 - psi], size=20000).T
    power = (np.abs(b - c) / np.sqrt(b + c) > z_a).mean()
    assert power == pytest.approx(0.8, abs=0.02)
    with pytest.raises(ValueError):
        clips_for_power(12.0, discordance=0.1)  # a difference larger than the discordance


def test_bad_input_is_rejected():
    labels = np.arange(10) % 3
    with pytest.raises(ValueError, match="metric"):
        metric_values(labels, labels, "top5")
    with pytest.raises(ValueError, match="do not match"):
        metric_values(labels[:9], labels, "top1")
    with pytest.raises(ValueError, match="weights"):
        metric_values(labels, labels, "top1", weights=np.ones((2, 9)))


def test_paired_contrast_of_two_drops_against_a_direct_bootstrap():
    """(A_to - A_from) - (B_to - B_from), resampled on the same clips: its value is the four
    accuracies' contrast, its replicates those of a direct loop over the same resampling counts."""
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, 120)
    preds = [np.where(rng.random(120) < q, labels, (labels + 1) % 4) for q in (0.9, 0.8, 0.9, 0.5)]
    got = paired_contrast(preds, [1.0, -1.0, -1.0, 1.0], labels, "top1", replicates=400, seed=5)
    top1 = [float((p == labels).mean() * 100) for p in preds]
    assert got.value == pytest.approx(top1[0] - top1[1] - top1[2] + top1[3])
    replicates = []
    for counts in bootstrap_weights(120, 400, 5):
        acc = [float((counts * (p == labels)).sum() / counts.sum() * 100) for p in preds]
        replicates.append(acc[0] - acc[1] - acc[2] + acc[3])
    low, high = np.percentile(replicates, [2.5, 97.5])
    assert (got.low, got.high) == (pytest.approx(low), pytest.approx(high))
    same = paired_contrast([labels, labels], [1.0, -1.0], labels, "top1", replicates=50)
    assert (same.value, same.low, same.high) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="one coefficient per prediction"):
        paired_contrast(preds, [1.0], labels, "top1")
