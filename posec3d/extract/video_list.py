"""A user's folder of videos and its labels file, listed as the clips file that detection and
extraction read (`posec3d index-videos`, rule `index_videos`).

The labels file is CSV with a header: `video` (a file name relative to the folder, with its
suffix), `label` (a class name, or a class index) and `split` (e.g. train, val); optionally `x1`,
`y1`, `x2`, `y2` (video pixels) and `box_frame` (default 0): the box of the person to follow with
Tracking boxes. Every video is opened and its first frame decoded here, so that the clips file
records each video's own size, frame count and frame rate (nothing is assumed).

Mistakes in the labels file stop it with one line naming the file, the line and the video: a
missing column, a video listed twice, two videos sharing a name, a video not in the folder, a split
the dataset does not have, a bad box. A video that cannot be used (no frame decodes, or an empty
file) is left out with one warning naming it, and counted in the summary line.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from posec3d.atomic import write_json
from posec3d.video.io import VideoError, iter_video, video_info

from .clips import CLIPS_FORMAT

log = logging.getLogger(__name__)

REQUIRED = ("video", "label", "split")
BOX = ("x1", "y1", "x2", "y2")
SHOWN = 5  # names listed in an error about many videos


@dataclass
class Row:
    """One line of the labels file."""

    line: int
    video: str
    label: str
    split: str
    box: list[float] | None = None
    box_frame: int = 0

    @property
    def frame_dir(self) -> str:
        """The clip's name: the video's path in the folder without its suffix."""
        return str(PurePosixPath(self.video).with_suffix(""))


@dataclass
class IndexSummary:
    """Videos listed, videos indexed, and what was left out (undecodable, empty)."""

    listed: int = 0
    indexed: int = 0
    counts: Counter = field(default_factory=Counter)

    def line(self) -> str:
        left = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items())) or "none left out"
        return f"{self.listed} videos listed, {self.indexed} indexed: {left}"


def read_labels(labels: str | Path, splits: Sequence[str] | None = None) -> list[Row]:
    """The rows of a labels file, checked (see the module's docstring); `splits`: the split names
    the dataset trains and tests on (any when None)."""
    labels = Path(labels)
    try:
        with labels.open(newline="", encoding="utf-8") as file:
            reader = csv.DictReader(file)
            header = [name.strip() for name in reader.fieldnames or []]
            raw = [(reader.line_num, {(k or "").strip(): (v or "").strip() for k, v in row.items()})
                   for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"{labels}: cannot read the labels file ({error})") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValueError(f"{labels}: the labels file needs the columns {', '.join(REQUIRED)} (missing "
                         f"{', '.join(missing)}; it has {', '.join(header) or 'no header'})")
    has_box = [c for c in BOX if c in header]
    if has_box and len(has_box) != len(BOX):
        raise ValueError(f"{labels}: a box needs all of the columns {', '.join(BOX)} (it has {', '.join(has_box)})")
    rows: list[Row] = []
    seen: dict[str, Row] = {}
    names: dict[str, Row] = {}
    for line, values in raw:
        row = Row(line, values["video"], values["label"], values["split"])
        where = f"{labels} line {line}"
        empty = [c for c in REQUIRED if not values[c]]
        if empty:
            raise ValueError(f"{where}: empty {', '.join(empty)}" + (f" (video {row.video!r})" if row.video else ""))
        if row.video in seen:
            raise ValueError(f"{where}: video {row.video!r} is listed twice (also line {seen[row.video].line})")
        if row.frame_dir in names:
            other = names[row.frame_dir]
            raise ValueError(f"{where}: videos {row.video!r} and {other.video!r} (line {other.line}) share the "
                             f"name {row.frame_dir!r}; rename one")
        if splits is not None and row.split not in splits:
            raise ValueError(f"{where}: split {row.split!r} of video {row.video!r} is not one of the dataset's "
                             f"splits: {', '.join(splits)}")
        if has_box and any(values[c] for c in BOX):
            row.box, row.box_frame = _box(values, where, row.video)
        seen[row.video] = names[row.frame_dir] = row
        rows.append(row)
    if not rows:
        raise ValueError(f"{labels}: the labels file lists no video")
    return rows


def _box(values: dict[str, str], where: str, video: str) -> tuple[list[float], int]:
    try:
        box = [float(values[c]) for c in BOX]
        frame = int(values.get("box_frame") or 0)
    except ValueError:
        raise ValueError(f"{where}: the box of video {video!r} is not numbers: "
                         f"{', '.join(values[c] for c in BOX)}") from None
    if not (box[2] > box[0] and box[3] > box[1]) or frame < 0:
        raise ValueError(f"{where}: the box of video {video!r} must have x2 > x1, y2 > y1 and box_frame >= 0, "
                         f"got {box} at frame {frame}")
    return box, frame


def class_labels(rows: Sequence[Row], labels: Path,
                 classes: Sequence[str] | None) -> tuple[list[int], list[str] | None]:
    """Each row's class index, and the class names: the given `classes` (a label map), else the
    labels' own names in sorted order; indices without names keep no names."""
    if classes is not None:
        index = {name: i for i, name in enumerate(classes)}
        out = []
        for row in rows:
            label = index.get(row.label, int(row.label) if row.label.isdigit() else None)
            if label is None or label >= len(classes):
                raise ValueError(f"{labels} line {row.line}: label {row.label!r} of video {row.video!r} is not "
                                 f"one of the {len(classes)} classes of the label map")
            out.append(label)
        return out, list(classes)
    if all(row.label.isdigit() for row in rows):
        return [int(row.label) for row in rows], None
    numbers = [row for row in rows if row.label.isdigit()]
    if numbers:
        raise ValueError(f"{labels} line {numbers[0].line}: label {numbers[0].label!r} of video {numbers[0].video!r} "
                         "is a number, others are class names: use one kind (or give a label map)")
    names = sorted({row.label for row in rows})
    return [names.index(row.label) for row in rows], names


def index_videos(videos: str | Path, labels: str | Path, out: str | Path, splits: Sequence[str] | None = None,
                 classes: Sequence[str] | None = None) -> IndexSummary:
    """List the videos of `labels` in the clips file `out` (written atomically), each with its
    size, frame count, frame rate, label, split and box to follow."""
    videos, labels = Path(videos), Path(labels)
    if not videos.is_dir():
        raise ValueError(f"{videos}: no such folder of videos")
    rows = read_labels(labels, splits)
    absent = [row.video for row in rows if not (videos / row.video).is_file()]
    if absent:
        shown = ", ".join(absent[:SHOWN]) + (f" and {len(absent) - SHOWN} more" if len(absent) > SHOWN else "")
        raise ValueError(f"{labels}: {len(absent)} listed video(s) not in {videos}: {shown}")
    label_of, names = class_labels(rows, labels, classes)
    summary = IndexSummary(listed=len(rows))
    entries: list[dict[str, Any]] = []
    split: dict[str, list[str]] = {name: [] for name in splits or ()}
    for row, label in zip(rows, label_of):
        probe = _probe(videos / row.video, summary)
        if probe is None:
            continue
        entry = {"frame_dir": row.frame_dir, "video": row.video, "label": label, "split": row.split, **probe}
        if row.box is not None:
            entry.update(box=row.box, box_frame=row.box_frame)
        entries.append(entry)
        split.setdefault(row.split, []).append(row.frame_dir)
    summary.indexed = len(entries)
    if not entries:
        raise ValueError(f"{labels}: none of the {len(rows)} listed videos can be read ({summary.line()})")
    write_json(out, {"format": CLIPS_FORMAT, "videos": str(videos), "labels": str(labels), "classes": names,
                     "split": split, "clips": entries, "summary": dict(summary.counts)})
    log.info("indexed %s: %s", out, summary.line())
    return summary


def probe_video(path: Path) -> dict[str, Any]:
    """A video's declared frames and fps, and its size from its first decoded frame; VideoError
    naming the file if it is empty or no frame decodes."""
    if path.is_file() and path.stat().st_size == 0:
        raise VideoError(f"{path}: empty file (0 bytes)")
    info = video_info(path)
    frames = iter_video(path, batch=1)
    try:
        first = next(frames)
    finally:
        frames.close()
    return {"frames": max(info.frames, 1), "fps": info.fps if info.fps > 0 else 0.0,
            "height": int(first.shape[1]), "width": int(first.shape[2])}


def _probe(path: Path, summary: IndexSummary) -> dict[str, Any] | None:
    """`probe_video`, or None (with a warning and a count) for a video that cannot be used."""
    try:
        return probe_video(path)
    except VideoError as error:
        kind = "empty" if "empty file" in str(error) or "no frame decodes" in str(error) else "undecodable"
        log.warning("video %s: %s: left out", path, str(error).removeprefix(f"{path}: "))
        summary.counts[kind] += 1
        return None
