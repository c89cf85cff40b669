"""The clips a dataset's extraction reads: where each video is, what the pose file keeps of it, and
which person boxes it knows.

Two kinds of dataset give clips: a synthetic one (its scenes file and the videos `posec3d render`
made, with GT boxes of every person of interest) and a `videos:` one (a user's folder of videos,
listed by `posec3d index-videos` in a clips file, with no GT boxes and at most a first-frame box of
the person to follow). Detection, extraction and the demo read clips through `ClipSet`, so neither
knows which kind it has.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from posec3d.video.io import VideoError, check_indexed_size, iter_video

KEEP = ("frame_dir", "label", "total_frames", "original_shape", "subject", "view", "setup", "fps")
CLIPS_FORMAT = "posec3d-clips/1"
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".mpg", ".mpeg")


@dataclass
class ClipSource:
    """One clip to extract: its video and what is known of it before decoding.

    frames: the clip's length when the dataset fixes it (synthetic scenes: frames beyond are cut,
    missing ones are zero), else None: the clip is as long as its video decodes (`declared`, the
    container's count, stands in when nothing decodes). gt_box: float32 [M,T,4] boxes of the
    persons of interest in video pixels (0 = out of view), None when the dataset has none. seeds:
    per person to follow, the first frame it is seen (-1: never) and its box there (Tracking boxes).
    """

    name: str
    path: Path
    height: int
    width: int
    record: dict[str, Any]
    frames: int | None = None
    declared: int = 0
    gt_box: np.ndarray | None = None
    seeds: tuple[tuple[int, np.ndarray], ...] = ()
    index: Path | None = None  # the file that records the video's size (named when it disagrees)

    @property
    def persons(self) -> int:
        """Rows of a clip whose video gives nothing: its persons of interest, at least one."""
        return max(len(self.seeds), 0 if self.gt_box is None else len(self.gt_box), 1)

    def length(self, decoded: int) -> int:
        """The clip's length once `decoded` frames decoded."""
        if self.frames is not None:
            return self.frames
        return decoded if decoded else max(self.declared, 1)


@dataclass
class ClipSet:
    """A dataset's clips in order, its splits and the meta its pose files carry."""

    clips: list[ClipSource]
    split: dict[str, list[str]]
    meta: dict[str, Any] = field(default_factory=dict)
    width: int | None = None  # the width synthetic videos were rendered at

    def __iter__(self) -> Iterator[ClipSource]:
        return iter(self.clips)

    def __len__(self) -> int:
        return len(self.clips)


@dataclass
class Decoded:
    """What streaming a clip's video found: frames decoded, and the error that stopped it."""

    frames: int = 0
    error: VideoError | None = None


def stream(clip: ClipSource, chunk: int, decoded: Decoded) -> Iterator[tuple[int, np.ndarray]]:
    """(first frame index, frames [n,H,W,3]) of the clip's video, `chunk` frames at a time, at most
    the clip's fixed length: the reader never holds more than one chunk, so long videos stream.
    A missing or undecodable video ends the stream with `decoded.error` set, not an exception."""
    frames = iter_video(clip.path, batch=chunk)
    while True:
        try:
            batch = next(frames)
        except StopIteration:
            return
        except VideoError as error:  # raised before any frame (missing, undecodable, empty)
            decoded.error = error
            return
        if clip.frames is not None:
            batch = batch[: max(clip.frames - decoded.frames, 0)]
        if not len(batch):
            frames.close()
            return
        if decoded.frames == 0 and clip.index is not None:
            check_indexed_size(batch, clip.height, clip.width, clip.path, clip.index)
        start, decoded.frames = decoded.frames, decoded.frames + len(batch)
        yield start, batch


def whole_forwards(chunk: int, forward: int) -> int:
    """`chunk` frames rounded up to whole detector forwards of `forward` frames: each forward then
    sees the same frames whether a video streams into extraction or `posec3d detect` stored its
    boxes, so both give bit-identical boxes."""
    return -(-chunk // forward) * forward


def synthetic_clips(scenes: dict[str, Any], videos_dir: str | Path) -> ClipSet:
    """The clips of a synthetic scenes file rendered into `videos_dir` (`posec3d render`'s
    index.json gives each video's size and its scale from scene pixels)."""
    from posec3d.video.render import video_size

    from .boxes import poi_boxes

    videos_dir = Path(videos_dir)
    index_path = videos_dir / "index.json"
    if not index_path.is_file():
        raise FileNotFoundError(f"{index_path}: no video index (render the videos with `posec3d render`)")
    index = json.loads(index_path.read_text())
    if not isinstance(index.get("clips"), dict):
        raise ValueError(f"{index_path}: not a video index: no 'clips' mapping")
    clips = []
    for clip in scenes["annotations"]:
        name = clip["frame_dir"]
        entry = index["clips"].get(name, {})
        if entry:
            height, width, scale = int(entry["height"]), int(entry["width"]), float(entry["scale"])
        else:
            height, width, scale = video_size(tuple(clip["img_shape"]), int(index.get("width", 0)))
        box = poi_boxes(clip, scale)
        seeds = []
        for person in box:  # Tracking starts from the GT box where the person is first in view
            seen = np.flatnonzero((person[:, 2] > person[:, 0]) & (person[:, 3] > person[:, 1]))
            seeds.append((int(seen[0]), person[seen[0]]) if len(seen) else (-1, person[0]))
        clips.append(ClipSource(
            name=name, path=videos_dir / f"{name}.avi", height=height, width=width,
            record={key: clip[key] for key in KEEP if key in clip}, frames=int(clip["total_frames"]),
            gt_box=box, seeds=tuple(seeds), index=index_path))
    return ClipSet(clips, dict(scenes["split"]), dict(scenes.get("meta", {})), width=index.get("width"))


def listed_clips(path: str | Path) -> ClipSet:
    """The clips of a user's videos, as `posec3d index-videos` listed them in a clips file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a clips file of `posec3d index-videos` ({error})") from None
    if data.get("format") != CLIPS_FORMAT:
        raise ValueError(f"{path}: not a clips file of `posec3d index-videos` (format {data.get('format')!r})")
    root = Path(data["videos"])  # as the profile names it: absolute, or relative to the project
    clips = []
    for entry in data["clips"]:
        seeds = ()
        if entry.get("box") is not None:
            seeds = ((int(entry.get("box_frame", 0)), np.asarray(entry["box"], np.float32)),)
        record = {"frame_dir": entry["frame_dir"], "label": int(entry["label"]), "fps": float(entry["fps"]),
                  "original_shape": (int(entry["height"]), int(entry["width"]))}
        clips.append(ClipSource(name=entry["frame_dir"], path=root / entry["video"], height=int(entry["height"]),
                                width=int(entry["width"]), record=record, declared=int(entry["frames"]),
                                seeds=seeds))
    meta = {"classes": list(data["classes"])} if data.get("classes") else {}
    return ClipSet(clips, {k: list(v) for k, v in data["split"].items()}, meta)


def load_clips(scenes: str | Path | None = None, videos: str | Path | None = None,
               clips: str | Path | None = None) -> ClipSet:
    """A dataset's clips: synthetic (`scenes` and `videos`) or listed (`clips`), not both."""
    from posec3d.storage import load_poses

    if clips is not None:
        if scenes is not None or videos is not None:
            raise ValueError("give --clips, or --scenes and --videos, not both")
        return listed_clips(clips)
    if scenes is None or videos is None:
        raise ValueError("give --scenes and --videos (a synthetic dataset) or --clips (a clips file of "
                         "`posec3d index-videos`)")
    return synthetic_clips(load_poses(scenes), videos)
