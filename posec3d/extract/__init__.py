"""Pose extraction from video (paper Sec. 3.1, 4.2): person boxes (GT / Detection / Tracking),
batched top-down or bottom-up pose estimation with mmdet/mmpose models, stored as a pose file.

Modules: boxes (box sources), tracking (ByteTracker linking), inference (batched models),
extract (the resumable per-dataset driver), commands (`posec3d extract`). The package itself
imports nothing heavy, so the CLI starts fast.
"""

from __future__ import annotations

# Person boxes a top-down estimator runs in (Sec. 4.2, Table 3c): the one list of them. The
# workflow's pose-source names (posec3d.plan) and `posec3d extract --boxes` both read it.
BOX_SOURCES: tuple[str, ...] = ("gt", "detection", "tracking")
DETECTOR_BOXES: tuple[str, ...] = ("detection", "tracking")  # the box sources that need a detector
# what `--boxes` takes: "none" is for bottom-up estimators, which find persons themselves
SOURCES: tuple[str, ...] = (*BOX_SOURCES, "none")
