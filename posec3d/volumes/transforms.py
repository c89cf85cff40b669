"""Geometry on joint coordinates: subject-centred crop box, random resized crop, resize, flip.

Every step moves coordinates, never pixels (as pyskl does); heatmaps are rendered once, at
the target size, afterwards. Boxes are in source-pixel coordinates and stay real-valued: we
never crop an image, so pyskl's rounding of box edges to whole pixels has nothing to do.

Pixel convention: pixel centres sit at integer coordinates, x runs along the width (columns),
y along the height (rows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from posec3d.skeleton import JOINT_FLIP


@dataclass(frozen=True)
class Box:
    """An axis-aligned box [x0, x1) x [y0, y1) in source-pixel coordinates."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def full_frame(img_shape: tuple[int, int]) -> Box:
    """The whole frame of an image of shape (h, w)."""
    h, w = img_shape
    return Box(0.0, 0.0, float(w), float(h))


def subject_box(
    keypoint: np.ndarray,
    img_shape: tuple[int, int],
    padding: float = 0.25,
    threshold: float = 10.0,
) -> Box:
    """Subject-centred crop (Sec. 3.2): the smallest box around every pose, padded and square.

    pyskl's PoseCompact(padding, threshold, hw_ratio=1.0, allow_imgpad=True): the tight box
    around all non-zero coordinates of all persons in all frames of `keypoint` [..., 2], grown
    by `padding` about its centre and then made square by growing its shorter side; it may
    extend past the frame. When the tight box is narrower or lower than `threshold` pixels
    (or there are no joints), cropping is skipped and the full frame is returned.
    Zero coordinates mark missing joints in the mmaction2 format and are ignored, per axis,
    exactly as pyskl does.
    """
    x, y = keypoint[..., 0], keypoint[..., 1]
    x, y = x[x != 0], y[y != 0]
    if x.size == 0 or y.size == 0:
        return full_frame(img_shape)
    min_x, max_x, min_y, max_y = float(x.min()), float(x.max()), float(y.min()), float(y.max())
    if max_x - min_x < threshold or max_y - min_y < threshold:
        return full_frame(img_shape)
    cx, cy = (min_x + max_x) / 2, (min_y + max_y) / 2
    half = max(max_x - min_x, max_y - min_y) / 2 * (1 + padding)
    return Box(cx - half, cy - half, cx + half, cy + half)


def random_resized_box(
    box: Box,
    rng: np.random.Generator,
    area_range: tuple[float, float] = (0.56, 1.0),
    aspect_range: tuple[float, float] = (3 / 4, 4 / 3),
    max_attempts: int = 10,
) -> Box:
    """A random sub-box of `box` (pyskl RandomResizedCrop): area and aspect ratio (w/h) drawn.

    The area is a uniform fraction of the box's, the aspect ratio log-uniform; a candidate
    that does not fit is redrawn, up to `max_attempts` times, after which the centred square
    of side min(w, h) is used. pyskl draws the same candidates but on a 64x64 pixel grid,
    rounding sizes and offsets to whole pixels; here they are continuous.
    """
    log_lo, log_hi = math.log(aspect_range[0]), math.log(aspect_range[1])
    area = box.width * box.height
    for _ in range(max_attempts):
        aspect = math.exp(rng.uniform(log_lo, log_hi))
        target = rng.uniform(*area_range) * area
        w, h = math.sqrt(target * aspect), math.sqrt(target / aspect)
        if w <= box.width and h <= box.height:
            x0 = box.x0 + rng.uniform(0.0, box.width - w)
            y0 = box.y0 + rng.uniform(0.0, box.height - h)
            return Box(x0, y0, x0 + w, y0 + h)
    side = min(box.width, box.height)
    x0 = box.x0 + (box.width - side) / 2
    y0 = box.y0 + (box.height - side) / 2
    return Box(x0, y0, x0 + side, y0 + side)


def box_to_canvas(keypoint: np.ndarray, box: Box, size: tuple[int, int]) -> np.ndarray:
    """Coordinates [..., 2] mapped so that `box` fills a canvas of `size` = (H, W).

    The crop-then-resize of pyskl's RandomResizedCrop/Resize on keypoints:
    x' = (x - x0) * W / box.width, y' = (y - y0) * H / box.height (no aspect ratio kept).
    """
    h, w = size
    scale = np.array([w / box.width, h / box.height], dtype=np.float32)
    origin = np.array([box.x0, box.y0], dtype=np.float32)
    return ((keypoint - origin) * scale).astype(np.float32)


def flip_coordinates(
    keypoint: np.ndarray, score: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mirror joints [..., V, 2] and scores [..., V] left-right on a canvas `width` pixels wide.

    x -> width - 1 - x, the mirror image of the pixel grid (pixel column j <-> width - 1 - j),
    so that rendering flipped coordinates equals flipping the rendered heatmap. pyskl's Flip
    uses x -> width - x, one pixel off from its own heatmap flip (`heatmap[..., ::-1]`).
    Left and right joints swap places (skeleton.JOINT_FLIP), scores with them.
    """
    flipped = keypoint[..., JOINT_FLIP, :]  # fancy indexing: a new array
    flipped[..., 0] = (width - 1) - flipped[..., 0]
    return flipped, score[..., JOINT_FLIP]
