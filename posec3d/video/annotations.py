"""Ground truth of rendered videos: boxes, keypoints and visibility in video pixels."""

from __future__ import annotations

from typing import Any

import numpy as np

# Visibility codes (COCO's v): outside the image, inside but hidden, visible.
OUTSIDE, OCCLUDED, VISIBLE = 0, 1, 2


def video_annotations(clip: dict[str, Any], scale: float) -> dict[str, np.ndarray]:
    """Boxes [M,T,4] (x1 y1 x2 y2), keypoints [M,T,17,2] and visibility [M,T,17] (int8: 0 outside,
    1 occluded, 2 visible) of a scenes clip, in the pixels of its video rendered at `scale`.

    Visibility is read from keypoint_score (1 visible, between 0 and 1 occluded, 0 outside), the
    scene generator's own occlusion test against the same capsules and boxes the renderer draws.
    """
    if not scale > 0:
        raise ValueError(f"clip {clip.get('frame_dir')!r}: scale must be positive, got {scale}")
    score = np.asarray(clip["keypoint_score"], np.float32)
    visibility = np.where(score >= 1.0, VISIBLE, np.where(score > 0.0, OCCLUDED, OUTSIDE)).astype(np.int8)
    return {
        "box": np.asarray(clip["box"], np.float32) * np.float32(scale),
        "keypoint": np.asarray(clip["keypoint"], np.float32) * np.float32(scale),
        "visibility": visibility,
    }
