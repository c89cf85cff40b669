"""Table 5's perturbation: in each frame, with probability p, one limb keypoint is dropped.

The paper (Sec. 4.3, Robustness): "we test both models by randomly dropping 1 limb keypoint
in each frame with probability p"; the limb keypoints are the elbows, wrists, knees and
ankles. A dropped keypoint becomes a missing one in the mmaction2 sense: its coordinates and
score are zeroed. So MS-G3D reads (0, 0, 0) for it, Eq. 1 draws no joint map, Eq. 2 draws no limb
through it, and a stored estimator heatmap (Table 3d's input) is emptied too.

At test time the generator is `posec3d.seeding.named_rng(seed, clip name)`, the same for every
model. Drops are drawn for every frame of the clip before frame sampling, so two models that sample
different frames still see the same drops wherever their frames meet. Each person in a frame is
perturbed on its own (the paper's FineGYM clips have one athlete). One uniform number per
person-frame decides whether it loses a keypoint (u < p), and a second one picks which keypoint. With the
same generator, the drops at a smaller p are a subset of those at a larger p, so the points of
an accuracy-against-p curve differ only by the extra drops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from posec3d.skeleton import JOINTS, NUM_JOINTS

LIMB_KEYPOINTS: tuple[int, ...] = tuple(
    JOINTS.index(f"{side}_{part}") for part in ("elbow", "wrist", "knee", "ankle")
    for side in ("left", "right"))


def drop_mask(persons: int, frames: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Which keypoints to drop: bool [persons, frames, NUM_JOINTS], at most one per person-frame."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"keypoint drop probability must be in [0, 1], got {p}")
    dropped = rng.random((persons, frames)) < p
    which = np.asarray(LIMB_KEYPOINTS)[rng.integers(len(LIMB_KEYPOINTS), size=(persons, frames))]
    mask = np.zeros((persons, frames, NUM_JOINTS), dtype=bool)
    m, t = np.nonzero(dropped)
    mask[m, t, which[m, t]] = True
    return mask


def drop_keypoints(clip: dict[str, Any], p: float, rng: np.random.Generator) -> dict[str, Any]:
    """A copy of `clip` with its drops applied (its arrays are not changed).

    Needs 2D poses: `keypoint` [M, T, V, 2] and `keypoint_score` [M, T, V]; a `heatmap`
    [M, T, V, h, w] (stored estimator heatmaps) loses the same joints.
    """
    if "keypoint_score" not in clip:
        raise ValueError("keypoint drop needs 2D poses with keypoint scores (Table 5 is on 2D poses)")
    score = np.asarray(clip["keypoint_score"])
    mask = drop_mask(score.shape[0], score.shape[1], p, rng)
    out = dict(clip)
    for key in ("keypoint", "keypoint_score", "heatmap"):  # [M, T, V, ...]: one copy each
        if key in clip:
            out[key] = np.array(clip[key])
            out[key][mask] = 0
    return out
