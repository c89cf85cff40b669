"""Pose extraction from video (paper Sec. 3.1, 4.2): person boxes (GT / Detection / Tracking),
batched top-down or bottom-up pose estimation with mmdet/mmpose models, stored as a pose file."""

from __future__ import annotations

from .boxes import SOURCES, Boxes, detection_boxes, gt_boxes, tracking_boxes
from .extract import Settings, Summary, extract_dataset
from .inference import BottomUpEstimator, PersonDetector, Poses, TopDownEstimator, is_bottom_up

__all__ = [
    "SOURCES", "Boxes", "BottomUpEstimator", "PersonDetector", "Poses", "Settings", "Summary",
    "TopDownEstimator", "detection_boxes", "extract_dataset", "gt_boxes", "is_bottom_up", "tracking_boxes",
]
