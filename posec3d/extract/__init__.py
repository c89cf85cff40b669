"""Pose extraction from video (paper Sec. 3.1, 4.2): person boxes (GT / Detection / Tracking),
batched top-down or bottom-up pose estimation with mmdet/mmpose models, stored as a pose file.

Modules: boxes (box sources), tracking (ByteTracker linking), inference (batched models),
extract (the resumable per-dataset driver), commands (`posec3d extract`). The package itself
imports nothing heavy, so the CLI starts fast.
"""

from __future__ import annotations

# Person box sources; "none" is for bottom-up estimators, which find persons themselves.
SOURCES: tuple[str, ...] = ("gt", "detection", "tracking", "none")
