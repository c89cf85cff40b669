"""Render synthetic scenes (posec3d.synth) into videos: backdrop, people, occluders, lens and sensor.

A frame is its backdrop warped for the frame's camera, then every person's body parts and every
occluder box drawn far to near (painter's algorithm, so nearer persons and boxes hide farther
ones), then a slight lens blur and sensor noise; videos are MJPG .avi files, so JPEG artefacts
come last. Videos are downscaled: scale = width / img_shape[1], and video pixel coordinates are
original coordinates times scale (the annotations of `posec3d.video.annotations` follow).
Every random choice of a clip comes from (seed, frame_dir), so renders are reproducible one
clip at a time.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm.auto import tqdm

from posec3d.atomic import write_json
from posec3d.seeding import named_rng
from posec3d.storage import load_poses

from .backdrop import make_backdrop
from .figures import box_primitives, draw, person_primitives
from .io import VideoError, video_info, write_video

log = logging.getLogger(__name__)

FORMAT = "posec3d-videos/1"
_NOISE_BANK = 4  # noise frames drawn per clip and cycled through in a random order


def video_size(img_shape: tuple[int, int], width: int) -> tuple[int, int, float]:
    """Video (height, width, scale) of a clip with original `img_shape` (h, w) rendered `width` wide."""
    if width < 16:
        raise ValueError(f"video width must be at least 16 pixels, got {width}")
    scale = width / float(img_shape[1])
    return max(1, int(round(img_shape[0] * scale))), int(width), scale


_SCENE_KEYS = ("camera_K", "camera_R", "camera_t", "keypoint_3d", "body_aux_3d", "body_shape", "clothing",
               "background", "background_seed", "img_shape", "scene", "occluders", "occluder_colours")


def _missing(clip: dict[str, Any]) -> list[str]:
    return [k for k in _SCENE_KEYS if k not in clip]


def render_clip(clip: dict[str, Any], meta: dict[str, Any], width: int, seed: int) -> np.ndarray:
    """The video frames uint8 RGB [T, h, w, 3] of one scenes clip (see posec3d.synth CLIP_FIELDS)."""
    name = clip.get("frame_dir", "?")
    missing = _missing(clip)
    if missing:
        raise ValueError(f"clip {name!r}: not a scenes clip (missing {', '.join(missing)})")
    h, w, scale = video_size(tuple(clip["img_shape"]), width)
    K = np.asarray(clip["camera_K"], np.float64) * np.array([scale, scale, 1.0])[:, None]
    rng, looks_rng = named_rng(seed, str(name)).spawn(2)  # persons do not change the camera's draws
    backdrop = make_backdrop(clip, list(meta["background_params"]), K, (h, w))
    prims = [person_primitives(clip, list(meta["clothing_parts"]), K, (h, w), looks_rng), box_primitives(clip, K)]
    kinds = [k for p in prims for k in p.kinds]
    data = [d for p in prims for d in p.data]
    colours = [c for p in prims for c in p.colours]
    depth = np.concatenate([p.depth for p in prims], axis=1)
    order = np.argsort(-depth, axis=1, kind="stable")
    drawn = np.take_along_axis(np.isfinite(depth), order, axis=1)

    blur = float(rng.uniform(0.3, 0.9))
    sigma = float(rng.uniform(2.0, 6.0))
    noise = rng.standard_normal((_NOISE_BANK, h, w, 3), dtype=np.float32) * sigma
    plus = np.clip(noise, 0, 255).astype(np.uint8)
    minus = np.clip(-noise, 0, 255).astype(np.uint8)
    pick = rng.integers(_NOISE_BANK, size=len(K))
    gain = (*rng.uniform(0.85, 1.15, 3).tolist(), 1.0)  # white balance and exposure of this camera

    frames = np.empty((len(K), h, w, 3), np.uint8)
    for i in range(len(K)):
        frame = backdrop.frame(i, (h, w))
        for q in order[i][drawn[i]].tolist():
            draw(frame, kinds[q], data[q][i], colours[q][i])
        frame = cv2.GaussianBlur(frame, (3, 3), blur)
        frame = cv2.multiply(frame, gain)
        cv2.add(frame, plus[pick[i]], dst=frame)
        cv2.subtract(frame, minus[pick[i]], dst=frame)
        frames[i] = frame
    return frames



def _render_one(job: tuple[dict[str, Any], dict[str, Any], int, int, str]) -> tuple[str, float]:
    """Render and write one clip (worker of `render_dataset`); returns its name and seconds taken."""
    clip, meta, width, seed, path = job
    start = time.perf_counter()
    cv2.setNumThreads(1)
    write_video(render_clip(clip, meta, width, seed), path, float(clip.get("fps", 30)))
    return clip["frame_dir"], time.perf_counter() - start


def _finished(path: Path, frames: int, size: tuple[int, int]) -> bool:
    """Whether a video from an earlier run is there, complete and of the wanted size."""
    if not path.is_file():
        return False
    try:
        info = video_info(path)
    except VideoError:
        return False
    return (info.frames, info.height, info.width) == (frames, *size)


def render_dataset(scenes_path: str | Path, out_dir: str | Path, width: int, seed: int = 0,
                   progress: bool = False, workers: int = 1) -> dict[str, Any]:
    """Render every clip of a scenes file to out_dir/<frame_dir>.avi and write out_dir/index.json.

    Resumable: a clip whose video is already there with the right frame count and size is
    skipped (videos are written atomically, so one that is there is whole). `workers` > 1
    renders clips in that many processes. Returns the index (also written as index.json:
    {"format", "width", "seed", "clips": {frame_dir: {"frames", "height", "width", "scale"}}}).
    """
    scenes_path, out_dir = Path(scenes_path), Path(out_dir)
    scenes = load_poses(scenes_path)
    meta = scenes.get("meta", {})
    lacking = next((c for c in scenes["annotations"] if _missing(c)), None)
    if lacking is not None or "background_params" not in meta or "clothing_parts" not in meta:
        what = f"clip {lacking['frame_dir']!r} lacks {', '.join(_missing(lacking))}" if lacking else "no scene meta"
        raise ValueError(f"{scenes_path}: not a synthetic scenes file ({what}); render needs `posec3d synth` output")
    out_dir.mkdir(parents=True, exist_ok=True)
    index: dict[str, Any] = {"format": FORMAT, "width": int(width), "seed": int(seed), "clips": {}}
    jobs = []
    for clip in scenes["annotations"]:
        h, w, scale = video_size(tuple(clip["img_shape"]), width)
        frames = int(clip["total_frames"])
        if frames < 1:
            raise ValueError(f"{scenes_path}: clip {clip['frame_dir']!r} has no frames")
        index["clips"][clip["frame_dir"]] = {"frames": frames, "height": h, "width": w, "scale": scale}
        path = out_dir / f"{clip['frame_dir']}.avi"
        if not _finished(path, frames, (h, w)):
            jobs.append((clip, meta, int(width), int(seed), str(path)))
    skipped = len(index["clips"]) - len(jobs)
    log.info("render %s: %d clips, %d already rendered, %d to render", scenes_path, len(index["clips"]),
             skipped, len(jobs))
    start = time.perf_counter()
    total_frames = sum(int(job[0]["total_frames"]) for job in jobs)
    with tqdm(total=len(jobs), disable=not progress, desc=f"render {out_dir.name}", unit="clip") as bar:
        if workers > 1 and len(jobs) > 1:
            with ProcessPoolExecutor(workers) as pool:
                for _ in pool.map(_render_one, jobs, chunksize=4):
                    bar.update()
        else:
            for job in jobs:
                _render_one(job)
                bar.update()
    seconds = time.perf_counter() - start
    if jobs:
        log.info("render %s: %d frames in %.1f s (%.0f frames/s)", out_dir, total_frames, seconds,
                 total_frames / max(seconds, 1e-9))
    write_json(out_dir / "index.json", index)
    return index
