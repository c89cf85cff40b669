"""What the training engine calls: per-clip coordinates in workers, batched rendering on device.

    prepare_clip (DataLoader worker, numpy)  ->  collate_coordinates  ->  render (device, torch)

prepare_clip follows pyskl's PoseC3D pipeline on coordinates: UniformSampleFrames (or
fixed-stride SampleFrames), PoseCompact(hw_ratio=1, allow_imgpad=True), in training
RandomResizedCrop(area_range=(0.56, 1.0)) + Resize + Flip(0.5), then GeneratePoseTarget as
`render`. Differences, each following the paper:
- the crop box encloses the poses of all frames of the video ("across frames"); pyskl's
  encloses those of the sampled frames only;
- test clips are rendered straight at `size` (56x56, the paper's input); pyskl's test
  pipeline resizes to 64x64;
- persons are summed into one canvas (`combine="sum"`); pyskl takes the maximum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from posec3d.config import from_dict
from posec3d.skeleton import MODALITY_CHANNELS, NUM_JOINTS
from posec3d.volumes.heatmaps import joint_heatmaps, limb_heatmaps, stacked_heatmaps
from posec3d.volumes.sampling import fixed_stride_indices, uniform_indices
from posec3d.volumes.transforms import (
    Box,
    box_to_canvas,
    flip_coordinates,
    full_frame,
    random_resized_box,
    subject_box,
)

_DRAW = {"joint": joint_heatmaps, "limb": limb_heatmaps, "joint-limb": stacked_heatmaps}  # by modality


@dataclass(frozen=True)
class VolumeConfig:
    """How clips become heatmap volumes; defaults are the paper's Pose-SlowOnly input."""

    modality: str = "joint"  # "joint" (Eq. 1), "limb" (Eq. 2) or "joint-limb" (both stacked)
    clip_len: int = 48  # frames per clip (T)
    size: tuple[int, int] = (56, 56)  # (H, W) of the volume
    sigma: float = 0.6  # gaussian std in output pixels
    num_clips: int = 1  # clips per video (the paper tests with 10)
    sampling: str = "uniform"  # "uniform" (Sec. 3.2) or "fixed_stride" (Figure 3 baseline)
    stride: int | None = None  # frame stride, for fixed_stride sampling only
    crop: bool = True  # subject-centred cropping
    crop_padding: float = 0.25  # grow the tight pose box by this fraction
    crop_threshold: float = 10.0  # keep the full frame if the pose box is smaller (pixels)
    rrc_area: tuple[float, float] = (0.56, 1.0)  # random-resized-crop area fraction range
    rrc_aspect: tuple[float, float] = (3 / 4, 4 / 3)  # and aspect ratio (w / h) range
    flip_prob: float = 0.5  # horizontal flip probability in training
    combine: str = "sum"  # persons on one canvas: "sum" (paper) or "max" (pyskl)
    source: str = "coordinates"  # Eq. 1/2 from coordinates, or "heatmaps" stored by extraction

    def __post_init__(self) -> None:
        # YAML gives lists; keep tuples so that configs compare and hash by value.
        for name in ("size", "rrc_area", "rrc_aspect"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        problems = [msg for bad, msg in (
            (self.modality not in MODALITY_CHANNELS,
             f"modality must be one of {sorted(MODALITY_CHANNELS)}, got {self.modality!r}"),
            (self.clip_len < 1, f"clip_len must be >= 1, got {self.clip_len}"),
            (len(self.size) != 2 or min(self.size) < 1,
             f"size must be two positive integers (H, W), got {self.size}"),
            (not self.sigma > 0, f"sigma must be positive, got {self.sigma}"),
            (self.num_clips < 1, f"num_clips must be >= 1, got {self.num_clips}"),
            (self.sampling not in ("uniform", "fixed_stride"),
             f"sampling must be 'uniform' or 'fixed_stride', got {self.sampling!r}"),
            (self.sampling == "fixed_stride" and (self.stride is None or self.stride < 1),
             f"fixed_stride sampling needs a stride >= 1, got {self.stride}"),
            (self.crop_padding < 0, f"crop_padding must be >= 0, got {self.crop_padding}"),
            (len(self.rrc_area) != 2 or not 0 < self.rrc_area[0] <= self.rrc_area[1] <= 1,
             f"rrc_area must be (lo, hi) with 0 < lo <= hi <= 1, got {self.rrc_area}"),
            (len(self.rrc_aspect) != 2 or not 0 < self.rrc_aspect[0] <= self.rrc_aspect[1],
             f"rrc_aspect must be (lo, hi) with 0 < lo <= hi, got {self.rrc_aspect}"),
            (not 0 <= self.flip_prob <= 1, f"flip_prob must be in [0, 1], got {self.flip_prob}"),
            (self.combine not in ("sum", "max"),
             f"combine must be 'sum' or 'max', got {self.combine!r}"),
            (self.source not in ("coordinates", "heatmaps"),
             f"source must be 'coordinates' or 'heatmaps', got {self.source!r}"),
            (self.source == "heatmaps" and self.modality != "joint",
             f"source 'heatmaps' stores joint heatmaps: modality must be 'joint', "
             f"got {self.modality!r}"),
        ) if bad]
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VolumeConfig:
        """From a run's `input` section; unknown keys and bad values raise ConfigError."""
        return from_dict(cls, data, "input")

    @property
    def channels(self) -> int:
        """Channels of a volume: one per joint, one per limb, or both."""
        return MODALITY_CHANNELS[self.modality]


def prepare_clip(
    clip: dict[str, Any],
    cfg: VolumeConfig,
    *,
    test_mode: bool,
    rng: np.random.Generator | None,
) -> tuple[np.ndarray, np.ndarray]:
    """One annotation (mmaction2 format) as coordinates ready to render.

    Returns float32 keypoints [num_clips, M, clip_len, V, 2] in output-pixel space and scores
    [num_clips, M, clip_len, V]. Training (rng required) gives each clip its own random
    resized crop and flip; test mode is deterministic and needs no rng.
    """
    if cfg.source != "coordinates":
        raise ValueError(f"prepare_clip renders coordinates, but cfg.source is {cfg.source!r} "
                         "(stored heatmaps go through volumes.stored.prepare_stored)")
    name = clip.get("frame_dir", "<unnamed clip>")
    keypoint, score, img_shape = checked_arrays(clip, name)
    if not test_mode and rng is None:
        raise ValueError(f"clip {name!r}: training needs an rng (numpy Generator)")
    box = crop_box(keypoint, img_shape, cfg)
    frames = frame_indices(keypoint.shape[1], cfg, test_mode, rng)
    clips = [to_canvas(keypoint[:, inds], score[:, inds], box, cfg, test_mode=test_mode, rng=rng)
             for inds in frames]
    return np.stack([kp for kp, _ in clips]), np.stack([sc for _, sc in clips])


def crop_box(keypoint: np.ndarray, img_shape: tuple[int, int], cfg: VolumeConfig) -> Box:
    """The region of the frame a volume shows: subject-centred (cfg.crop) or the full frame."""
    if cfg.crop:
        return subject_box(keypoint, img_shape, cfg.crop_padding, cfg.crop_threshold)
    return full_frame(img_shape)


def augment_box(
    box: Box, cfg: VolumeConfig, *, test_mode: bool, rng: np.random.Generator | None
) -> tuple[Box, bool]:
    """The box a clip's canvas shows, and whether to mirror it.

    Training takes a random resized crop of `box` and flips with probability cfg.flip_prob
    (drawn in that order from `rng`); test mode keeps `box` and never flips.
    """
    if test_mode:
        return box, False
    if rng is None:
        raise ValueError("training-mode augmentation needs an rng (numpy Generator)")
    box = random_resized_box(box, rng, cfg.rrc_area, cfg.rrc_aspect)
    return box, bool(rng.random() < cfg.flip_prob)


def to_canvas(
    keypoint: np.ndarray,
    score: np.ndarray,
    box: Box,
    cfg: VolumeConfig,
    *,
    test_mode: bool,
    rng: np.random.Generator | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sampled frames [M, T, V, 2] (and scores) mapped from `box` to the output canvas.

    Training takes a random resized crop of the box and flips with probability
    cfg.flip_prob; test mode maps the box itself.
    """
    box, flip = augment_box(box, cfg, test_mode=test_mode, rng=rng)
    keypoint = box_to_canvas(keypoint, box, cfg.size)
    if flip:
        keypoint, score = flip_coordinates(keypoint, score, cfg.size[1])
    return keypoint, score


def collate_coordinates(
    items: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack prepare_clip outputs into kp [N, num_clips, M, T, V, 2] and scores [..., V].

    Clips with fewer persons are padded with zero-score persons, which render nothing.
    """
    if not items:
        raise ValueError("cannot collate an empty batch")
    shapes = {(kp.shape[0], *kp.shape[2:]) for kp, _ in items}
    if len(shapes) != 1:
        raise ValueError(f"clips differ in (num_clips, T, V, 2): {sorted(shapes)}")
    num_persons = max(kp.shape[1] for kp, _ in items)
    kp_batch = np.zeros((len(items), items[0][0].shape[0], num_persons, *items[0][0].shape[2:]),
                        dtype=np.float32)
    score_batch = np.zeros(kp_batch.shape[:-1], dtype=np.float32)
    for i, (kp, score) in enumerate(items):
        kp_batch[i, :, : kp.shape[1]] = kp
        score_batch[i, :, : score.shape[1]] = score
    return torch.from_numpy(kp_batch), torch.from_numpy(score_batch)


def render(
    kp: torch.Tensor, score: torch.Tensor, cfg: VolumeConfig, out: torch.Tensor | None = None
) -> torch.Tensor:
    """Volumes [N * num_clips, C, T, H, W] from collated coordinates, on their device.

    `out`, if given, is a contiguous float32 tensor of that shape to render into (a buffer
    reused across batches).
    """
    if kp.ndim != 6:
        raise ValueError(f"kp must be [N, num_clips, M, T, V, 2], got {tuple(kp.shape)}")
    kp, score = kp.flatten(0, 1), score.flatten(0, 1)
    return _DRAW[cfg.modality](kp, score, cfg.size, cfg.sigma, combine=cfg.combine, out=out)


def frame_indices(
    total_frames: int, cfg: VolumeConfig, test_mode: bool, rng: np.random.Generator | None
) -> np.ndarray:
    """Frame indices [num_clips, clip_len] of a video's clips, by cfg.sampling."""
    if cfg.sampling == "uniform":
        return uniform_indices(total_frames, cfg.clip_len, cfg.num_clips,
                               test_mode=test_mode, rng=rng)
    return fixed_stride_indices(total_frames, cfg.clip_len, cfg.stride, cfg.num_clips,
                                test_mode=test_mode, rng=rng)


def checked_arrays(
    clip: dict[str, Any], name: str
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """keypoint [M, T, V, 2] and scores [M, T, V] as float32, checked against each other.

    Joints with non-finite coordinates are missing detections: they get coordinate 0 and
    score 0 (pyskl zeroes them too). A clip without keypoint_score counts every joint as
    found (score 1), as in pyskl.
    """
    for key in ("keypoint", "total_frames", "img_shape"):
        if key not in clip:
            raise ValueError(f"clip {name!r}: missing key {key!r}")
    keypoint = np.asarray(clip["keypoint"], dtype=np.float32)
    if keypoint.ndim != 4 or keypoint.shape[-1] != 2 or keypoint.shape[2] != NUM_JOINTS:
        raise ValueError(f"clip {name!r}: keypoint must be [M, T, {NUM_JOINTS}, 2] (COCO-17 "
                         f"2D joints), got {keypoint.shape}")
    if "keypoint_score" in clip:
        score = np.asarray(clip["keypoint_score"], dtype=np.float32)
    else:
        score = np.ones(keypoint.shape[:-1], dtype=np.float32)
    if score.shape != keypoint.shape[:-1]:
        raise ValueError(f"clip {name!r}: keypoint_score must be {keypoint.shape[:-1]} to match "
                         f"keypoint, got {score.shape}")
    if not np.all(np.isfinite(score)) or np.any(score < 0):
        raise ValueError(f"clip {name!r}: keypoint_score must be finite and >= 0")
    total_frames = int(clip["total_frames"])
    if total_frames != keypoint.shape[1] or total_frames < 1:
        raise ValueError(f"clip {name!r}: total_frames is {total_frames} but keypoint has "
                         f"{keypoint.shape[1]} frames")
    img_shape = tuple(int(s) for s in clip["img_shape"])
    if len(img_shape) != 2 or min(img_shape) < 1:
        raise ValueError(f"clip {name!r}: img_shape must be (h, w), got {clip['img_shape']}")
    missing = ~np.isfinite(keypoint).all(axis=-1)
    if missing.any():
        keypoint = np.where(missing[..., None], 0.0, keypoint).astype(np.float32)
        score = np.where(missing, 0.0, score).astype(np.float32)
    return keypoint, score, img_shape
