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
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm.auto import tqdm

from posec3d.atomic import write_json
from posec3d.storage import load_poses

from .backdrop import make_backdrop
from .figures import Primitives, box_primitives, draw, person_primitives
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


def clip_seed(seed: int, frame_dir: str) -> np.random.Generator:
    """The render generator of one clip: keyed by the dataset seed and the clip's name."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(frame_dir.encode())]))


def render_clip(clip: dict[str, Any], meta: dict[str, Any], width: int, seed: int) -> np.ndarray:
    """The video frames uint8 RGB [T, h, w, 3] of one scenes clip (see posec3d.synth CLIP_FIELDS)."""
    name = clip.get("frame_dir", "?")
    missing = [k for k in ("camera_K", "camera_R", "camera_t", "keypoint_3d", "body_aux_3d", "body_shape",
                           "clothing", "background", "background_seed", "img_shape", "scene") if k not in clip]
    if missing:
        raise ValueError(f"clip {name!r}: not a scenes clip (missing {', '.join(missing)})")
    h, w, scale = video_size(tuple(clip["img_shape"]), width)
    K = np.asarray(clip["camera_K"], np.float64) * np.array([scale, scale, 1.0])[:, None]
    rng = clip_seed(seed, str(name))
    backdrop = make_backdrop(clip, list(meta["background_params"]), K, (h, w))
    prims = [person_primitives(clip, list(meta["clothing_parts"]), K, (h, w), rng), box_primitives(clip, K)]
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

