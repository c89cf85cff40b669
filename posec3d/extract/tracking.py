"""Linking per-frame person boxes into tracks with mmdet's ByteTracker (Kalman filter + IoU matching).

Two uses: `link` gives every detection a track id (Detection boxes, bottom-up persons), and
`follow` tracks one person from a seed box (Tracking boxes: the ground-truth box of a person of
interest in its first visible frame). Both are deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from mmengine.structures import InstanceData

Frame = tuple[np.ndarray, np.ndarray]  # boxes float [n,4] x1 y1 x2 y2, scores float [n]


def _tracker(score_thr: float, retain: int):
    from mmdet.models.trackers import ByteTracker
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope("mmdet"):
        return ByteTracker(
            motion=dict(type="KalmanFilter"),
            obj_score_thrs=dict(high=score_thr, low=min(0.1, score_thr)),
            init_track_thr=score_thr,
            weight_iou_with_det_scores=True,
            match_iou_thrs=dict(high=0.1, low=0.5, tentative=0.3),
            num_tentatives=3,
            num_frames_retain=retain,
        )


def _step(tracker, frame_id: int, boxes: np.ndarray, scores: np.ndarray) -> InstanceData:
    from mmdet.structures import DetDataSample

    sample = DetDataSample(metainfo=dict(frame_id=frame_id))
    sample.pred_instances = InstanceData(
        bboxes=torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        scores=torch.as_tensor(scores, dtype=torch.float32).reshape(-1),
        labels=torch.zeros(len(scores), dtype=torch.long),
    )
    result = tracker.track(sample)
    _forget_history(tracker)
    return result


def _forget_history(tracker) -> None:
    """Keep each track's last `num_tentatives` memo entries. mmdet's trackers append every frame's
    box, score, label and frame to a live track's memo and never drop them, so memory grew with a
    video's length (5.7 GB for 10 minutes of 1080p); ByteTracker reads only a memo's last entry and
    whether it has reached `num_tentatives` entries, so this changes no result."""
    keep = tracker.num_tentatives
    for track in tracker.tracks.values():
        for key in tracker.memo_items:
            del track[key][:-keep]


def link(frames: Sequence[Frame], score_thr: float, retain: int = 30) -> list[dict[int, int]]:
    """Per frame, {track id: index of the detection in that frame} for every detection in a track.

    Detections above `score_thr` always join a track (a new one if none matches); those below
    it can extend an existing track (ByteTrack's second association) but never start one.
    """
    tracker = _tracker(score_thr, retain)
    out = []
    for frame_id, (boxes, scores) in enumerate(frames):
        result = _step(tracker, frame_id, boxes, scores)
        unused = np.ones(len(boxes), bool)
        assigned = {}
        for track, box in zip(result.instances_id.tolist(), result.bboxes.numpy()):
            index = int(np.flatnonzero(unused & (boxes == box).all(axis=1))[0])
            unused[index] = False
            assigned[int(track)] = index
        out.append(assigned)
    return out


def follow(frames: Sequence[Frame], seed_frame: int, seed_box: np.ndarray,
           score_thr: float, retain: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Track the person in `seed_box` at `seed_frame` through later frames' detections.

    Returns boxes float32 [T,4] and box scores float32 [T] (1 at the seed, the matched detection's
    score after it; 0 before the seed and wherever the track is lost).
    """
    steps = len(frames)
    boxes = np.zeros((steps, 4), np.float32)
    scores = np.zeros(steps, np.float32)
    boxes[seed_frame], scores[seed_frame] = seed_box, 1.0
    tracker = _tracker(score_thr, retain)
    _step(tracker, 0, np.asarray(seed_box, np.float32)[None], np.ones(1, np.float32))
    target = 0  # the seed is the only detection of frame 0: it starts track 0
    for t in range(seed_frame + 1, steps):
        result = _step(tracker, t - seed_frame, *frames[t])
        hit = np.flatnonzero(result.instances_id.numpy() == target)
        if len(hit):
            boxes[t] = result.bboxes[hit[0]].numpy()
            scores[t] = float(result.scores[hit[0]])
        elif target not in tracker.tracks:
            break  # lost for good: ByteTracker dropped it after `retain` frames
    return boxes, scores
