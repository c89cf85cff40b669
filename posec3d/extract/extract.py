"""Pose extraction of a dataset's videos into a pose file, resumable one clip at a time.

For each clip (`posec3d.extract.clips`: a synthetic dataset's rendered videos, or a user's
listed videos): find person boxes (GT / Detection / Tracking, or none for a bottom-up
estimator), estimate poses in batches, and write the clip as a part file
`<out>.parts/<frame_dir>.npz` (atomic). Frames stream through in chunks: detection reads the
video once, pose estimation once more, and neither holds more than a chunk of frames, so an
hour of 1080p video extracts in the memory of a few seconds of it. Parts made with the same
settings, the digest of the estimators' weights included, are reused, so a killed run resumes
where it stopped; others are made again. At the end the parts are joined into `out` (atomic) in
the dataset's order and removed. The pose file has the shape of
`posec3d.synth.pose_source(scenes, "gt-2d")`, in video pixels, with each video's own size
(img_shape) and, for listed videos, frame rate (fps); a missing, undecodable or truncated video,
a clip where nobody is found and frames with no person give zero coordinates and zero scores,
one log line naming the clip, and a count in the summary.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from posec3d.storage import PoseFileError, load_poses, save_poses

from . import DETECTOR_BOXES, SOURCES, tracking
from .boxes import Boxes, detection_boxes, keypoint_box, rank_tracks, tracking_boxes
from .clips import ClipSet, ClipSource, Decoded, stream, whole_forwards
from .detections import StoredDetections
from .inference import NUM_JOINTS, BottomUpEstimator, Poses, TopDownEstimator

log = logging.getLogger(__name__)

CHUNK = 32  # frames decoded at a time: 200 MB of 1080p RGB
STAGES = ("decode", "detect", "pose", "write")


@dataclass(frozen=True)
class Settings:
    """What decides a clip's result; a part made with other settings is recomputed."""

    boxes: str
    estimator: str
    detector: str | None = None
    heatmaps: bool = False
    score_thr: float = 0.5
    max_persons: int = 2
    min_area: float = 0.0  # Detection boxes: smaller ones (square video pixels) are dropped
    min_frames: int = 1  # Detection boxes and bottom-up persons: shorter tracks are dropped
    weights: str = ""  # digest of the estimators' configs and weights (commands.weights_digest)


@dataclass
class Summary:
    """Counts of clips and frames, and seconds spent per stage (decode / detect / pose / write)."""

    clips: int = 0
    reused: int = 0
    counts: Counter = field(default_factory=Counter)
    frames_detected: int = 0
    crops_posed: int = 0
    frames_posed: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    def line(self) -> str:
        problems = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items())) or "no problems"
        times = ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
        return f"{self.clips} clips ({self.reused} reused): {problems}; time {times}"


class _Clock:
    def __init__(self, summary: Summary, stage: str) -> None:
        self.summary, self.stage = summary, stage

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.summary.seconds[self.stage] += time.perf_counter() - self.start


def extract_dataset(
    clips: ClipSet,
    out: str | Path,
    pose: TopDownEstimator | BottomUpEstimator,
    settings: Settings,
    detector: Any = None,
    batch: int = 64,
    progress: bool = False,
    chunk: int = CHUNK,
) -> Summary:
    """Extract every clip of `clips` into the pose file `out`.

    `pose` is a TopDownEstimator (boxes gt / detection / tracking) or a BottomUpEstimator
    (boxes none); `detector` a PersonDetector or the StoredDetections of `posec3d detect`, needed
    for detection and tracking boxes.
    """
    out = Path(out)
    _check(settings, pose, detector, clips)
    parts = out.with_name(out.name + ".parts")
    parts.mkdir(parents=True, exist_ok=True)
    summary = Summary()
    records = []
    for clip in tqdm(clips, desc=f"extract {out.name}", disable=not progress, unit="clip"):
        part = parts / f"{clip.name.replace('/', '__')}.npz"
        done = _reuse(part, settings)
        if done is None:
            done = _extract_clip(clip, pose, detector, settings, batch, chunk, summary)
            with _Clock(summary, "write"):
                save_poses({"split": {}, "annotations": [done[0]], "meta": {"settings": asdict(settings),
                                                                            "status": done[1]}}, part)
        else:
            summary.reused += 1
        summary.clips += 1
        summary.counts.update(done[1])
        records.append(done[0])
    meta = dict(clips.meta)
    meta.update(pose_source=f"extracted-{settings.boxes}", extraction={
        **asdict(settings), "width": clips.width, "summary": dict(summary.counts)})
    with _Clock(summary, "write"):
        save_poses({"split": clips.split, "annotations": records, "meta": meta}, out)
    shutil.rmtree(parts)
    log.info("extracted %s: %s", out, summary.line())
    return summary


def _check(settings: Settings, pose: Any, detector: Any, clips: ClipSet) -> None:
    if settings.boxes not in SOURCES:
        raise ValueError(f"unknown box source {settings.boxes!r}; known: {', '.join(SOURCES)}")
    if (settings.boxes == "none") != isinstance(pose, BottomUpEstimator):
        raise ValueError(f"box source {settings.boxes!r} does not fit a "
                         f"{'bottom-up' if isinstance(pose, BottomUpEstimator) else 'top-down'} estimator "
                         "(bottom-up estimators take --boxes none, top-down ones gt, detection or tracking)")
    if settings.boxes in DETECTOR_BOXES and detector is None:
        raise ValueError(f"box source {settings.boxes!r} needs a person detector")
    if settings.heatmaps and not isinstance(pose, TopDownEstimator):
        raise ValueError("heatmaps are stored for top-down estimators only")
    if settings.boxes == "gt" and any(clip.gt_box is None for clip in clips):
        raise ValueError("these videos have no ground-truth person boxes (GT boxes exist for synthetic "
                         "datasets only): extract with detection or tracking boxes")
    if settings.boxes == "tracking":
        unseeded = [clip.name for clip in clips if not clip.seeds]
        if unseeded:
            raise ValueError(f"tracking boxes follow each video's first-frame box (labels file columns x1, y1, "
                             f"x2, y2), which {len(unseeded)} video(s) lack: {', '.join(unseeded[:5])}")


def _reuse(part: Path, settings: Settings) -> tuple[dict[str, Any], dict[str, int]] | None:
    """A finished part's clip and status, if it was made with `settings`."""
    if not part.is_file():
        return None
    try:
        data = load_poses(part)
    except PoseFileError as error:
        log.warning("recomputing %s: %s", part.stem, error)
        return None
    if data.get("meta", {}).get("settings") != asdict(settings):
        return None
    return data["annotations"][0], data["meta"]["status"]


def _timed(frames: Any, summary: Summary) -> Any:
    """The chunks of `stream`, the time spent decoding them counted as the decode stage."""
    while True:
        with _Clock(summary, "decode"):
            item = next(frames, None)
        if item is None:
            return
        yield item


def _extract_clip(clip: ClipSource, pose: Any, detector: Any, settings: Settings, batch: int, chunk: int,
                  summary: Summary) -> tuple[dict[str, Any], dict[str, int]]:
    """One clip's pose record and its status counts (as a Counter of problems)."""
    decoded = Decoded()
    if isinstance(pose, BottomUpEstimator):
        boxes, poses = _bottom_up(clip, pose, settings, batch, chunk, decoded, summary)
    else:
        boxes = _boxes(clip, detector, settings, batch, chunk, summary)
        poses = _top_down(clip, pose, boxes, batch, chunk, decoded, summary)
    steps = boxes.box.shape[1]
    if poses is None:
        boxes, poses = _nothing(clip, steps, pose, settings)
    status: Counter = Counter()
    problems = []
    if decoded.error is not None:
        kind = "missing" if not clip.path.is_file() else "undecodable"
        status[kind] += 1
        problems.append(f"{kind} video ({decoded.error}): all frames zero")
    if 0 < decoded.frames < steps:
        status["truncated"] += 1
        problems.append(f"truncated video: {decoded.frames} of {steps} frames decode, the rest are zero")
    found = boxes.valid.any(axis=0)
    if decoded.frames and not found.any():
        status["empty"] += 1
        problems.append("no person found in any frame")
    elif decoded.frames:
        missing = int((~found[:decoded.frames]).sum())
        if missing:
            status["frames_without_person"] += missing
            problems.append(f"no person in {missing} of {decoded.frames} frames")
    if problems:
        log.warning("clip %s: %s", clip.name, "; ".join(problems))
    status["frames"] += steps
    record = {**clip.record, "total_frames": steps, "img_shape": (clip.height, clip.width),
              "keypoint": poses.keypoint, "keypoint_score": poses.keypoint_score, "box": boxes.box}
    if settings.heatmaps:
        record.update(heatmap=poses.heatmap, heatmap_box=poses.heatmap_box)
    return record, {k: int(v) for k, v in status.items()}


def _boxes(clip: ClipSource, detector: Any, settings: Settings, batch: int, chunk: int, summary: Summary) -> Boxes:
    """The clip's person boxes over its whole length: GT, or from detections (stored, or a
    detector pass that streams the video once)."""
    if settings.boxes == "gt":
        return Boxes(clip.gt_box, ((clip.gt_box[..., 2] > clip.gt_box[..., 0])
                                   & (clip.gt_box[..., 3] > clip.gt_box[..., 1])).astype(np.float32))
    if isinstance(detector, StoredDetections):
        with _Clock(summary, "detect"):
            detections = detector.of_clip(clip.name)
    else:
        detections, read = [], Decoded()
        per_forward = max(1, batch // 8)
        for _, frames in _timed(stream(clip, whole_forwards(chunk, per_forward), read), summary):
            with _Clock(summary, "detect"):
                detections += detector(frames, batch=per_forward)
    summary.frames_detected += len(detections)
    with _Clock(summary, "detect"):
        empty = (np.zeros((0, 4), np.float32), np.zeros(0, np.float32))
        detections = detections + [empty] * (clip.length(len(detections)) - len(detections))
        if settings.boxes == "detection":
            return detection_boxes(detections, settings.score_thr, settings.max_persons, settings.min_area,
                                   settings.min_frames)
        return tracking_boxes(detections, clip.seeds, settings.score_thr)


def _top_down(clip: ClipSource, pose: TopDownEstimator, boxes: Boxes, batch: int, chunk: int, decoded: Decoded,
              summary: Summary) -> Poses | None:
    """Poses in every valid box, the video streamed chunk by chunk; zeros in frames past the ones
    that decode; None when none does."""
    parts = []
    for start, frames in _timed(stream(clip, chunk, decoded), summary):
        window = slice(start, start + len(frames))
        with _Clock(summary, "pose"):
            parts.append(pose(frames, boxes.box[:, window], boxes.valid[:, window], batch=batch))
        summary.crops_posed += int(boxes.valid[:, window].sum())
    summary.frames_posed += decoded.frames
    if not decoded.frames:
        return None
    if decoded.frames < boxes.box.shape[1]:
        rest = slice(decoded.frames, boxes.box.shape[1])
        parts.append(pose(np.zeros((0, 1, 1, 3), np.uint8), boxes.box[:, rest], boxes.valid[:, rest]))

    def joined(name: str) -> np.ndarray:
        return np.concatenate([getattr(part, name) for part in parts], axis=1)

    if pose.heatmaps:
        return Poses(joined("keypoint"), joined("keypoint_score"), joined("heatmap"), joined("heatmap_box"))
    return Poses(joined("keypoint"), joined("keypoint_score"))


def _bottom_up(clip: ClipSource, pose: BottomUpEstimator, settings: Settings, batch: int, chunk: int,
               decoded: Decoded, summary: Summary) -> tuple[Boxes, Poses | None]:
    """Every frame's persons found by the estimator, the video streamed, linked into rows (poses
    None when no frame decodes)."""
    found: list[tuple[np.ndarray, np.ndarray]] = []
    for _, frames in _timed(stream(clip, chunk, decoded), summary):
        with _Clock(summary, "pose"):
            found += pose(frames, batch=max(1, batch // 8))
    summary.frames_posed += decoded.frames
    boxes, poses = _link_instances(found, clip.length(decoded.frames), settings)
    return boxes, poses if decoded.frames else None


def _link_instances(found: list[tuple[np.ndarray, np.ndarray]], steps: int,
                    settings: Settings) -> tuple[Boxes, Poses]:
    """Bottom-up persons linked over frames into rows, as detection boxes are."""
    empty = (np.zeros((0, NUM_JOINTS, 2), np.float32), np.zeros((0, NUM_JOINTS), np.float32))
    found = found + [empty] * (steps - len(found))
    frames = [(keypoint_box(k, s), s.mean(axis=1)) for k, s in found]
    rows = rank_tracks(tracking.link(frames, settings.score_thr), [s for _, s in frames], settings.max_persons,
                       settings.min_frames)
    persons = max(len(rows), 1)
    box = np.zeros((persons, steps, 4), np.float32)
    keypoint = np.zeros((persons, steps, NUM_JOINTS, 2), np.float32)
    score = np.zeros((persons, steps, NUM_JOINTS), np.float32)
    box_score = np.zeros((persons, steps), np.float32)
    for m, row in enumerate(rows):
        for t, i in row.items():
            box[m, t], keypoint[m, t], score[m, t] = frames[t][0][i], found[t][0][i], found[t][1][i]
            box_score[m, t] = frames[t][1][i]
    return Boxes(box, box_score), Poses(keypoint, score)


def _nothing(clip: ClipSource, steps: int, pose: Any, settings: Settings) -> tuple[Boxes, Poses]:
    """All-zero results for a clip without frames: one row per person of interest (GT, Tracking)
    or a single row (Detection, bottom-up)."""
    persons = clip.persons if settings.boxes in ("gt", "tracking") else 1
    boxes = Boxes(np.zeros((persons, steps, 4), np.float32), np.zeros((persons, steps), np.float32))
    if isinstance(pose, TopDownEstimator):
        return boxes, pose(np.zeros((0, 1, 1, 3), np.uint8), boxes.box, boxes.valid)
    return boxes, Poses(np.zeros((persons, steps, NUM_JOINTS, 2), np.float32),
                        np.zeros((persons, steps, NUM_JOINTS), np.float32))
