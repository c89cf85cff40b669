"""Person box sources for top-down pose extraction (paper Sec. 4.2, Table 3c): GT, Detection, Tracking.

Each source gives `Boxes`: M rows of boxes over the clip's T frames in video pixels, a row being
one person in every frame (rows never swap persons), with a score per frame that is 0 where the
row has no box. Scene boxes are in original pixels; `scale` (video width / original width)
brings them into the video.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from posec3d.video import video_annotations

from . import tracking


@dataclass
class Boxes:
    """box float32 [M,T,4] x1 y1 x2 y2 (video pixels); score float32 [M,T], 0 = no box."""

    box: np.ndarray
    score: np.ndarray

    @property
    def valid(self) -> np.ndarray:
        return self.score > 0


def poi_boxes(clip: dict[str, Any], scale: float) -> np.ndarray:
    """The scene's boxes of the persons of interest, float32 [M,T,4] in video pixels (0 out of view)."""
    return video_annotations(clip, scale)["box"][np.asarray(clip["poi"], bool)]


def _visible(box: np.ndarray) -> np.ndarray:
    return (box[..., 2] > box[..., 0]) & (box[..., 3] > box[..., 1])


def gt_boxes(clip: dict[str, Any], scale: float) -> Boxes:
    """GT: the ground-truth box of each person of interest in every frame where it is in view."""
    box = poi_boxes(clip, scale)
    return Boxes(box, _visible(box).astype(np.float32))


def rank_tracks(assigned: Sequence[dict[int, int]], scores: Sequence[np.ndarray],
                max_persons: int, min_frames: int = 1) -> list[dict[int, int]]:
    """The `max_persons` tracks of highest total score (ties: earlier track first) among those seen
    in `min_frames` frames or more, as rows.

    assigned: per frame {track id: detection index}, as `tracking.link` gives; scores: per frame
    each detection's score. Returns one {frame: detection index} per kept track, best first.
    """
    rows: dict[int, dict[int, int]] = {}
    total: dict[int, float] = {}
    for t, tracks in enumerate(assigned):
        for track, index in tracks.items():
            rows.setdefault(track, {})[t] = index
            total[track] = total.get(track, 0.0) + float(scores[t][index])
    kept = [track for track in rows if len(rows[track]) >= min_frames]
    best = sorted(kept, key=lambda track: (-total[track], track))[:max_persons]
    return [rows[track] for track in best]


def detection_boxes(detections: Sequence[tuple[np.ndarray, np.ndarray]], score_thr: float,
                    max_persons: int, min_area: float = 0.0, min_frames: int = 1) -> Boxes:
    """Detection: the persons the detector finds, linked over frames into tracks, then selected.

    The rule (pyskl's custom_2d_skeleton.py filters boxes by score and area; mmaction2's NTU pose
    extraction keeps at most two persons linked over frames; here both, on whole tracks): boxes
    smaller than `min_area` square pixels are dropped; the ByteTracker starts a track only from a
    box scoring `score_thr` or more (weaker boxes may extend one); tracks seen in fewer than
    `min_frames` frames are dropped; the `max_persons` tracks of highest total score are kept,
    best first, each a row for the whole clip, so that rows never swap persons. Distractors come
    in as they do in the paper. At least one row, all zeros when nothing was kept.
    """
    if min_area > 0:
        detections = [_at_least(boxes, scores, min_area) for boxes, scores in detections]
    assigned = tracking.link(detections, score_thr)
    rows = rank_tracks(assigned, [s for _, s in detections], max_persons, min_frames)
    steps = len(detections)
    box = np.zeros((max(len(rows), 1), steps, 4), np.float32)
    score = np.zeros((max(len(rows), 1), steps), np.float32)
    for m, row in enumerate(rows):
        for t, index in row.items():
            box[m, t] = detections[t][0][index]
            score[m, t] = detections[t][1][index]
    return Boxes(box, score)


def _at_least(boxes: np.ndarray, scores: np.ndarray, area: float) -> tuple[np.ndarray, np.ndarray]:
    keep = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) >= area
    return boxes[keep], scores[keep]


def tracking_boxes(detections: Sequence[tuple[np.ndarray, np.ndarray]],
                   seeds: Sequence[tuple[int, np.ndarray]], score_thr: float) -> Boxes:
    """Tracking: each person to follow from its box in the first frame it is seen (a person of
    interest's GT box; a user's first-frame box), then frame by frame through the detections
    (zeros before that frame, once the track is lost, and for a seed frame below 0: never seen)."""
    steps = len(detections)
    box = np.zeros((max(len(seeds), 1), steps, 4), np.float32)
    score = np.zeros((max(len(seeds), 1), steps), np.float32)
    for m, (frame, seed) in enumerate(seeds):
        if 0 <= frame < steps:
            box[m], score[m] = tracking.follow(detections, frame, seed, score_thr)
    return Boxes(box, score)


def keypoint_box(keypoint: np.ndarray, score: np.ndarray) -> np.ndarray:
    """The tight box float32 [n,4] around each instance's joints with a positive score."""
    box = np.zeros((len(keypoint), 4), np.float32)
    for i, (points, s) in enumerate(zip(keypoint, score)):
        seen = points[s > 0] if (s > 0).any() else points
        box[i] = (*seen.min(axis=0), *seen.max(axis=0))
    box[:, 2:] = np.maximum(box[:, 2:], box[:, :2] + 1.0)  # at least a pixel: the tracker divides by h
    return box
