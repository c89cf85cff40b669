"""Pseudo-heatmap volumes (Sec. 3.2): frame sampling, coordinate transforms, batched rendering.

- sampling: which frames make a clip (uniform, fixed stride)
- transforms: subject-centred crop, random resized crop, resize and flip, on coordinates
- heatmaps: joint (Eq. 1) and limb (Eq. 2) volumes in torch, both stacked, and their left-right flip
- pipeline: VolumeConfig and the three calls the engine makes (prepare, collate, render)
- stored: the same three calls for heatmaps stored by the pose estimator (source="heatmaps")
"""

from __future__ import annotations

from posec3d.volumes.heatmaps import flip_volume, joint_heatmaps, limb_heatmaps, stacked_heatmaps
from posec3d.volumes.pipeline import (
    VolumeConfig,
    collate_coordinates,
    prepare_clip,
    render,
    to_canvas,
)
from posec3d.volumes.sampling import fixed_stride_indices, uniform_indices
from posec3d.volumes.stored import collate_stored, prepare_stored, render_stored

__all__ = [
    "VolumeConfig",
    "collate_coordinates",
    "collate_stored",
    "fixed_stride_indices",
    "flip_volume",
    "joint_heatmaps",
    "limb_heatmaps",
    "prepare_clip",
    "prepare_stored",
    "render",
    "render_stored",
    "stacked_heatmaps",
    "to_canvas",
    "uniform_indices",
]
