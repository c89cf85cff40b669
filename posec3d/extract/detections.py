"""Person detections of a dataset's videos, made once and read by every box source that needs them.

Table 3c's Detection and Tracking boxes come from the same detector on the same frames: running it
once per dataset (`posec3d detect`) and reading the stored boxes in both extractions saves one full
detector pass, the most expensive stage of that table. The file (.npz, written atomically):
`frame_dirs` [C] and `frames` [C] (frames decoded per clip), `counts` [F] (detections per frame, F
the sum of `frames`), `boxes` [D, 4] (x1, y1, x2, y2 in video pixels, best score first per frame),
`scores` [D], and `weights`, the digest of the detector's config and weights.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from posec3d.atomic import atomic_path

from .clips import ClipSet, Decoded, stream, whole_forwards

log = logging.getLogger(__name__)

Detections = list[tuple[np.ndarray, np.ndarray]]  # per frame: boxes [n, 4], scores [n]


def detect_dataset(clips: ClipSet, detector: Any, out: str | Path, weights: str, batch: int = 8,
                   progress: bool = False, chunk: int = 32) -> None:
    """Run `detector` (a PersonDetector) on every frame of every clip's video, streamed `chunk`
    frames at a time (rounded up to whole forwards of `batch`), and store the boxes.

    A missing or undecodable video stores no frames (its extraction then reports it)."""
    names, frames, counts, boxes, scores = [], [], [], [], []
    chunk = whole_forwards(chunk, batch)
    for clip in tqdm(clips, desc=f"detect {Path(out).name}", disable=not progress, unit="clip"):
        decoded = Decoded()
        found = []
        for _, video in stream(clip, chunk, decoded):
            found += detector(video, batch=batch)
        if decoded.error is not None:
            log.warning("clip %s: no detections (%s)", clip.name, decoded.error)
        names.append(clip.name)
        frames.append(len(found))
        counts += [len(s) for _, s in found]
        boxes += [b for b, _ in found]
        scores += [s for _, s in found]
    with atomic_path(out) as tmp, tmp.open("wb") as f:
        np.savez(f, frame_dirs=np.array(names), frames=np.array(frames, np.int64),
                 counts=np.array(counts, np.int64), weights=np.array(weights),
                 boxes=np.concatenate(boxes or [np.zeros((0, 4), np.float32)]).astype(np.float32),
                 scores=np.concatenate(scores or [np.zeros(0, np.float32)]).astype(np.float32))
    log.info("detected persons in %s: %d clips, %d frames, %d boxes", out, len(names), sum(frames), sum(counts))


class StoredDetections:
    """The detections of `posec3d detect`, clip by clip, in PersonDetector's per-frame form."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            with np.load(self.path, allow_pickle=False) as data:
                names, frames, counts = data["frame_dirs"], data["frames"], data["counts"]
                boxes, scores, self.weights = data["boxes"], data["scores"], str(data["weights"])
        except (OSError, KeyError, ValueError) as error:
            raise ValueError(f"{self.path}: not a detections file of `posec3d detect` ({error})") from None
        if frames.sum() != len(counts) or counts.sum() != len(boxes) or len(boxes) != len(scores):
            raise ValueError(f"{self.path}: detections file is inconsistent (frames, counts and boxes disagree)")
        frame_starts = np.concatenate([[0], np.cumsum(frames)])
        box_starts = np.concatenate([[0], np.cumsum(counts)])
        self._clips = {}
        for i, name in enumerate(names.tolist()):
            per_frame = box_starts[frame_starts[i]:frame_starts[i + 1] + 1]
            self._clips[name] = [(boxes[a:b], scores[a:b]) for a, b in zip(per_frame[:-1], per_frame[1:])]

    def of_clip(self, name: str) -> Detections:
        """Per-frame (boxes, scores) of clip `name`; an error naming the file if it has none."""
        if name not in self._clips:
            raise ValueError(f"{self.path}: no detections for clip {name!r} (detect the dataset again)")
        return list(self._clips[name])
