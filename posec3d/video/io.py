"""Video files: one reader for rendered and real videos (OpenCV/FFmpeg), one writer (MJPG, MPEG-4).

Frames are uint8 RGB arrays [T, H, W, 3]; reading and writing stream, a chunk or a frame at a
time. Every failure to read raises `VideoError` naming the file. A truncated file (fewer frames
decode than its container declares) is not an error: the frames that decode are returned and
one warning names the file and both counts; pass `strict=True` to turn that into a `VideoError`
instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from posec3d.atomic import atomic_path

log = logging.getLogger(__name__)


class VideoError(ValueError):
    """A video that cannot be read or written; the message names the file."""


class VideoInfo(NamedTuple):
    """What a video's container declares: frame count, size in pixels, frame rate."""

    frames: int
    height: int
    width: int
    fps: float


def _open(path: str | Path) -> cv2.VideoCapture:
    path = Path(path)
    if not path.is_file():
        raise VideoError(f"{path}: no such video file")
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        raise VideoError(f"{path}: cannot decode (not a video, or a codec FFmpeg does not know)")
    return capture


def _declared(capture: cv2.VideoCapture) -> VideoInfo:
    return VideoInfo(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                     int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), float(capture.get(cv2.CAP_PROP_FPS)))


def video_info(path: str | Path) -> VideoInfo:
    """The container's declared frame count, height, width and fps (no frame is decoded)."""
    capture = _open(path)
    try:
        return _declared(capture)
    finally:
        capture.release()


def iter_video(path: str | Path, batch: int = 64, strict: bool = False) -> Iterator[np.ndarray]:
    """Frames of a video in batches [b, H, W, 3] (RGB, b <= batch), so long real videos need
    not fit in memory. Raises VideoError for a missing or undecodable file or one with no
    frame; a truncated file yields what decodes and logs a warning (strict: raises)."""
    if batch < 1:
        raise ValueError(f"iter_video: batch must be >= 1, got {batch}")
    capture = _open(path)
    try:
        declared = _declared(capture).frames
        decoded = 0
        chunk: list[np.ndarray] = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            chunk.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            decoded += 1
            if len(chunk) == batch:
                yield np.stack(chunk)
                chunk = []
        if chunk:
            yield np.stack(chunk)
    finally:
        capture.release()
    if decoded == 0:
        raise VideoError(f"{path}: no frame decodes (empty or corrupt video)")
    if decoded < declared:
        message = f"{path}: truncated video: {decoded} of {declared} declared frames decode"
        if strict:
            raise VideoError(message)
        log.warning(message)


def check_indexed_size(frames: np.ndarray, height: int, width: int, path: str | Path, index: str | Path) -> None:
    """Raise VideoError unless decoded frames [T, H, W, 3] are the size the video index records.

    Boxes and keypoints are scaled into video pixels by the index's sizes, so a video of another
    size (re-rendered at another width, replaced by hand) would shift every one of them silently.
    """
    if frames.shape[1:3] != (height, width):
        raise VideoError(f"{path}: frames decode at {frames.shape[2]}x{frames.shape[1]} px, but {index} records "
                         f"{width}x{height}; render the videos again")


def read_video(path: str | Path, strict: bool = False) -> np.ndarray:
    """All frames of a video, uint8 RGB [T, H, W, 3] (see `iter_video` for errors and truncation)."""
    return np.concatenate(list(iter_video(path, batch=256, strict=strict)))


CODECS = {".avi": "MJPG", ".mp4": "mp4v"}  # what the writer encodes, by suffix


@contextmanager
def video_writer(path: str | Path, fps: float, size: tuple[int, int]) -> Iterator[Callable[[np.ndarray], None]]:
    """A function that appends uint8 RGB frames [H, W, 3] (`size` = (H, W)) to the video `path`,
    frame by frame (nothing is held in memory): Motion-JPEG in .avi, MPEG-4 Part 2 in .mp4. The
    file appears under its name complete, when the block ends, or not at all."""
    path = Path(path)
    if path.suffix.lower() not in CODECS:
        raise VideoError(f"{path}: videos are written as {', '.join(CODECS)} files")
    if not fps > 0:
        raise VideoError(f"{path}: fps must be positive, got {fps}")
    height, width = (int(side) for side in size)
    with atomic_path(path) as tmp:
        writer = cv2.VideoWriter(str(tmp), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*CODECS[path.suffix.lower()]),
                                 float(fps), (width, height))
        if not writer.isOpened():
            raise VideoError(f"{path}: OpenCV cannot open a {CODECS[path.suffix.lower()]} writer for {width}x{height}")

        def write(frame: np.ndarray) -> None:
            if frame.shape != (height, width, 3) or frame.dtype != np.uint8:
                raise VideoError(f"{path}: frames must be uint8 [{height}, {width}, 3], "
                                 f"got {frame.dtype} {frame.shape}")
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))

        try:
            yield write
        finally:
            writer.release()


def write_video(frames: np.ndarray, path: str | Path, fps: float) -> None:
    """Write uint8 RGB frames [T, H, W, 3] as a video (see `video_writer`), atomically."""
    path = Path(path)
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or len(frames) == 0:
        raise VideoError(f"{path}: frames must be uint8 [T>0, H, W, 3], got {frames.dtype} {frames.shape}")
    with video_writer(path, fps, frames.shape[1:3]) as write:
        for frame in frames:
            write(frame)
