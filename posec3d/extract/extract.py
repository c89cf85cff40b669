"""Pose extraction of a dataset's rendered videos into a pose file, resumable one clip at a time.

For each scenes clip: decode its video, find person boxes (GT / Detection / Tracking, or none
for a bottom-up estimator), estimate poses in batches, and write the clip as a part file
`<out>.parts/<frame_dir>.npz` (atomic). Parts made with the same settings, the digest of the
estimators' weights included, are reused, so a killed run resumes where it stopped; others are
made again. At the end the parts are joined into `out` (atomic) in the scenes'
order and removed. The pose file has the shape of `posec3d.synth.pose_source(scenes, "gt-2d")`,
in video pixels; a missing, undecodable or truncated video, a clip where nobody is found and
frames with no person give zero coordinates and zero scores, one log line naming the clip, and
a count in the summary.
"""

from __future__ import annotations

import json
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
from posec3d.video.io import VideoError, check_indexed_size, read_video
from posec3d.video.render import video_size

from . import DETECTOR_BOXES, SOURCES, tracking
from .boxes import Boxes, detection_boxes, gt_boxes, keypoint_box, rank_tracks, tracking_boxes
from .detections import StoredDetections
from .inference import NUM_JOINTS, BottomUpEstimator, Poses, TopDownEstimator

log = logging.getLogger(__name__)

KEEP = ("frame_dir", "label", "total_frames", "original_shape", "subject", "view", "setup")
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
    scenes_path: str | Path,
    videos_dir: str | Path,
    out: str | Path,
    pose: TopDownEstimator | BottomUpEstimator,
    settings: Settings,
    detector: Any = None,
    batch: int = 64,
    progress: bool = False,
) -> Summary:
    """Extract every clip of `scenes_path` from `videos_dir/<frame_dir>.avi` into the pose file `out`.

    `pose` is a TopDownEstimator (boxes gt / detection / tracking) or a BottomUpEstimator
    (boxes none); `detector` a PersonDetector or the StoredDetections of `posec3d detect`, needed
    for detection and tracking boxes.
    """
    scenes_path, videos_dir, out = Path(scenes_path), Path(videos_dir), Path(out)
    _check(settings, pose, detector)
    scenes = load_poses(scenes_path)
    index = _video_index(videos_dir)
    parts = out.with_name(out.name + ".parts")
    parts.mkdir(parents=True, exist_ok=True)
    summary = Summary()
    clips = []
    for clip in tqdm(scenes["annotations"], desc=f"extract {out.name}", disable=not progress, unit="clip"):
        part = parts / f"{clip['frame_dir']}.npz"
        done = _reuse(part, settings)
        if done is None:
            done = _extract_clip(clip, videos_dir, index, pose, detector, settings, batch, summary)
            with _Clock(summary, "write"):
                save_poses({"split": {}, "annotations": [done[0]], "meta": {"settings": asdict(settings),
                                                                            "status": done[1]}}, part)
        else:
            summary.reused += 1
        summary.clips += 1
        summary.counts.update(done[1])
        clips.append(done[0])
    meta = dict(scenes.get("meta", {}))
    meta.update(pose_source=f"extracted-{settings.boxes}", extraction={
        **asdict(settings), "width": index.get("width"), "summary": dict(summary.counts)})
    with _Clock(summary, "write"):
        save_poses({"split": scenes["split"], "annotations": clips, "meta": meta}, out)
    shutil.rmtree(parts)
    log.info("extracted %s: %s", out, summary.line())
    return summary


def _check(settings: Settings, pose: Any, detector: Any) -> None:
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


def _video_index(videos_dir: Path) -> dict[str, Any]:
    path = videos_dir / "index.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no video index (render the videos with `posec3d render`)")
    index = json.loads(path.read_text())
    if not isinstance(index.get("clips"), dict):
        raise ValueError(f"{path}: not a video index: no 'clips' mapping")
    return index


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


def _extract_clip(clip: dict[str, Any], videos_dir: Path, index: dict[str, Any], pose: Any, detector: Any,
                  settings: Settings, batch: int, summary: Summary) -> tuple[dict[str, Any], dict[str, int]]:
    """One clip's pose record and its status counts (as a Counter of problems)."""
    name = clip["frame_dir"]
    steps = int(clip["total_frames"])
    entry = index["clips"].get(name, {})
    if entry:
        height, width, scale = int(entry["height"]), int(entry["width"]), float(entry["scale"])
    else:
        height, width, scale = video_size(tuple(clip["img_shape"]), int(index.get("width", 0)))
    status: Counter = Counter()
    problems = []
    path = videos_dir / f"{name}.avi"
    frames = np.zeros((0, height, width, 3), np.uint8)
    with _Clock(summary, "decode"):
        try:
            frames = read_video(path)[:steps]
        except VideoError as error:
            kind = "missing" if not path.is_file() else "undecodable"
            status[kind] += 1
            problems.append(f"{kind} video ({error}): all frames zero")
    if len(frames):
        check_indexed_size(frames, height, width, path, videos_dir / "index.json")
    if 0 < len(frames) < steps:
        status["truncated"] += 1
        problems.append(f"truncated video: {len(frames)} of {steps} frames decode, the rest are zero")

    record = {key: clip[key] for key in KEEP if key in clip}
    record["img_shape"] = (height, width)
    if len(frames):
        boxes, poses = _estimate(clip, frames, steps, scale, pose, detector, settings, batch, summary)
    else:
        boxes, poses = _nothing(clip, steps, pose, settings)
    found = boxes.valid.any(axis=0)
    if len(frames) and not found.any():
        status["empty"] += 1
        problems.append("no person found in any frame")
    elif len(frames):
        missing = int((~found[:len(frames)]).sum())
        if missing:
            status["frames_without_person"] += missing
            problems.append(f"no person in {missing} of {len(frames)} frames")
    if problems:
        log.warning("clip %s: %s", name, "; ".join(problems))
    status["frames"] += steps
    record.update(keypoint=poses.keypoint, keypoint_score=poses.keypoint_score, box=boxes.box)
    if settings.heatmaps:
        record.update(heatmap=poses.heatmap, heatmap_box=poses.heatmap_box)
    return record, {k: int(v) for k, v in status.items()}


def _estimate(clip: dict[str, Any], frames: np.ndarray, steps: int, scale: float, pose: Any, detector: Any,
              settings: Settings, batch: int, summary: Summary) -> tuple[Boxes, Poses]:
    if isinstance(pose, BottomUpEstimator):
        with _Clock(summary, "pose"):
            found = pose(frames, batch=max(1, batch // 8))
        summary.frames_posed += len(frames)
        return _link_instances(found, steps, settings)
    if settings.boxes == "gt":
        boxes = gt_boxes(clip, scale)
    else:
        with _Clock(summary, "detect"):
            if isinstance(detector, StoredDetections):
                detections = detector.of_clip(clip["frame_dir"])[:len(frames)]
            else:
                detections = detector(frames, batch=max(1, batch // 8))
            empty = (np.zeros((0, 4), np.float32), np.zeros(0, np.float32))
            detections += [empty] * (steps - len(detections))
            if settings.boxes == "detection":
                boxes = detection_boxes(detections, settings.score_thr, settings.max_persons)
            else:
                boxes = tracking_boxes(detections, clip, scale, settings.score_thr)
        summary.frames_detected += len(frames)
    with _Clock(summary, "pose"):
        poses = pose(frames, boxes.box, boxes.valid, batch=batch)
    summary.crops_posed += int(boxes.valid[:, :len(frames)].sum())
    summary.frames_posed += len(frames)
    return boxes, poses


def _link_instances(found: list[tuple[np.ndarray, np.ndarray]], steps: int,
                    settings: Settings) -> tuple[Boxes, Poses]:
    """Bottom-up persons linked over frames into rows, as detection boxes are."""
    empty = (np.zeros((0, NUM_JOINTS, 2), np.float32), np.zeros((0, NUM_JOINTS), np.float32))
    found = found + [empty] * (steps - len(found))
    frames = [(keypoint_box(k, s), s.mean(axis=1)) for k, s in found]
    rows = rank_tracks(tracking.link(frames, settings.score_thr), [s for _, s in frames], settings.max_persons)
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


def _nothing(clip: dict[str, Any], steps: int, pose: Any, settings: Settings) -> tuple[Boxes, Poses]:
    """All-zero results for a clip without frames: one row per person of interest (GT, Tracking)
    or a single row (Detection, bottom-up)."""
    persons = int(np.asarray(clip["poi"], bool).sum()) if settings.boxes in ("gt", "tracking") else 1
    persons = max(persons, 1)
    boxes = Boxes(np.zeros((persons, steps, 4), np.float32), np.zeros((persons, steps), np.float32))
    if isinstance(pose, TopDownEstimator):
        return boxes, pose(np.zeros((0, 1, 1, 3), np.uint8), boxes.box, boxes.valid)
    return boxes, Poses(np.zeros((persons, steps, NUM_JOINTS, 2), np.float32),
                        np.zeros((persons, steps, NUM_JOINTS), np.float32))
