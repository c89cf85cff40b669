"""Reference pseudo-heatmaps: Eq. 1 and Eq. 2 of the paper, written out plainly with loops.

The oracle that tests/test_volumes.py checks posec3d.volumes.heatmaps against, and the
baseline that benchmarks/bench_volumes.py times it against. One map per clip, frame, channel
and person, each computed over the pixel grid in float64; nothing clever, so that it is
obviously right.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from posec3d.skeleton import LIMBS


def reference_joint_heatmaps(
    kp: np.ndarray,
    score: np.ndarray,
    size: tuple[int, int],
    sigma: float = 0.6,
    combine: str = "sum",
) -> np.ndarray:
    """[N, V, T, H, W]: H_kij = exp(-[(i - x_k)^2 + (j - y_k)^2] / (2 sigma^2)) * c_k (Eq. 1)."""
    n, m, t, v = score.shape
    ys, xs = np.mgrid[0 : size[0], 0 : size[1]].astype(np.float64)
    out = np.zeros((n, v, t, *size))
    for clip in range(n):
        for frame in range(t):
            for joint in range(v):
                for person in range(m):
                    x, y = kp[clip, person, frame, joint]
                    c = score[clip, person, frame, joint]
                    gauss = np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma**2)) * c
                    _combine(out[clip, joint, frame], gauss, combine)
    return out


def reference_limb_heatmaps(
    kp: np.ndarray,
    score: np.ndarray,
    size: tuple[int, int],
    sigma: float = 0.6,
    limbs: Sequence[tuple[int, int]] = LIMBS,
    combine: str = "sum",
) -> np.ndarray:
    """[N, L, T, H, W]: v = exp(-d^2 / (2 sigma^2)) * min(c_i, c_j), d to the segment (Eq. 2)."""
    n, m, t, _ = score.shape
    ys, xs = np.mgrid[0 : size[0], 0 : size[1]].astype(np.float64)
    out = np.zeros((n, len(limbs), t, *size))
    for clip in range(n):
        for frame in range(t):
            for limb, (i, j) in enumerate(limbs):
                for person in range(m):
                    a = kp[clip, person, frame, i].astype(np.float64)
                    b = kp[clip, person, frame, j].astype(np.float64)
                    c = min(score[clip, person, frame, i], score[clip, person, frame, j])
                    d2 = _squared_distance_to_segment(xs, ys, a, b)
                    _combine(out[clip, limb, frame], np.exp(-d2 / (2 * sigma**2)) * c, combine)
    return out


def _squared_distance_to_segment(
    xs: np.ndarray, ys: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    ab = b - a
    length2 = ab @ ab
    if length2 == 0:
        return (xs - a[0]) ** 2 + (ys - a[1]) ** 2
    # Position of the closest point of the segment, as a fraction of the way from a to b.
    frac = np.clip(((xs - a[0]) * ab[0] + (ys - a[1]) * ab[1]) / length2, 0.0, 1.0)
    return (xs - a[0] - frac * ab[0]) ** 2 + (ys - a[1] - frac * ab[1]) ** 2


def _combine(canvas: np.ndarray, gauss: np.ndarray, combine: str) -> None:
    if combine == "sum":
        canvas += gauss
    else:
        np.maximum(canvas, gauss, out=canvas)
