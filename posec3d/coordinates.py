"""GCN input: sampled, normalised joint coordinates [num_clips, M, T, V, C].

Follows pyskl's MS-G3D pipeline (PreNormalize2D, GenSkeFeat 'j', UniformSample,
FormatGCNInput): 2D joints become (x, y, score) in [-1, 1] image units; 3D joints are centred on
the first frame's mid-hip and keep (x, y, z). Frames come from the same uniform sampler as the
heatmap volumes.

One deliberate difference: joints with zero score (not found) are put at the image centre,
(0, 0, 0), where pyskl's normalisation leaves them at (-1, -1, 0), a corner the GCN would read as
a real position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from posec3d.config import from_dict
from posec3d.volumes.sampling import uniform_indices

_HIPS = (11, 12)


@dataclass(frozen=True)
class CoordinateConfig:
    """How clips become GCN input: frames per clip, clips per video, persons kept."""

    clip_len: int = 100
    num_clips: int = 1
    num_person: int = 2

    def __post_init__(self) -> None:
        for name in ("clip_len", "num_clips", "num_person"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CoordinateConfig:
        """From a run's `input` section; unknown keys and bad values raise ConfigError."""
        return from_dict(cls, data, "input")


def prepare_coordinates(
    clip: dict[str, Any],
    cfg: CoordinateConfig,
    *,
    test_mode: bool,
    rng: np.random.Generator | None,
) -> np.ndarray:
    """One clip as float32 [num_clips, num_person, clip_len, V, C] (C = 3)."""
    kp = np.asarray(clip["keypoint"], dtype=np.float32)
    score = np.asarray(clip["keypoint_score"], dtype=np.float32)
    feats = _features(kp, score, clip["img_shape"])
    persons = feats.shape[0]
    if persons >= cfg.num_person:
        feats = feats[: cfg.num_person]
    else:
        pad = np.zeros((cfg.num_person - persons, *feats.shape[1:]), dtype=np.float32)
        feats = np.concatenate([feats, pad], axis=0)
    inds = uniform_indices(
        feats.shape[1], cfg.clip_len, cfg.num_clips, test_mode=test_mode, rng=rng
    )
    # [M, num_clips * clip_len, V, C] -> [num_clips, M, clip_len, V, C]
    sampled = feats[:, inds.reshape(-1)]
    sampled = sampled.reshape(cfg.num_person, cfg.num_clips, cfg.clip_len, *feats.shape[2:])
    return np.ascontiguousarray(sampled.transpose(1, 0, 2, 3, 4))


def _features(kp: np.ndarray, score: np.ndarray, img_shape: tuple[int, int]) -> np.ndarray:
    if kp.shape[-1] == 2:
        h, w = img_shape
        xy = (kp - np.array([w / 2, h / 2], dtype=np.float32)) / np.array(
            [w / 2, h / 2], dtype=np.float32
        )
        xy[score <= 0] = 0.0
        return np.concatenate([xy, score[..., None]], axis=-1)
    centre = kp[0, 0, list(_HIPS)].mean(axis=0)
    return kp - centre
