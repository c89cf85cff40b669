"""The backdrop of a clip: a textured floor and a surrounding wall (or sky line), drawn once.

The backdrop is ray-cast once per clip for the middle frame's camera onto a canvas with a margin,
and every frame takes it through the homography at infinity of its own camera (rotation and
zoom; the small parallax of camera translation is ignored), which costs one warp per frame.
The floor is the ground plane z = 0; the walls are those of a square room centred where the
cameras look, 12 m wider than the cameras' distance from there. Its look comes from the clip's `background`
parameters (meta['background_params']), its texture from `background_seed`.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import cv2
import numpy as np

PAD = 0.3  # canvas margin on each side, as a fraction of the frame size
_WALL_TOP = 8.0  # metres of wall texture; higher rays see the top row


@dataclass
class Backdrop:
    """A backdrop canvas [Hc, Wc, 3] uint8 and the homographies [T, 3, 3] from it to each frame."""

    canvas: np.ndarray
    homographies: np.ndarray

    def frame(self, index: int, size: tuple[int, int]) -> np.ndarray:
        """The backdrop of frame `index` as a new uint8 image of `size` (h, w)."""
        h, w = size
        return cv2.warpPerspective(self.canvas, self.homographies[index], (w, h), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REFLECT)


def _rgb(h: float, s: float, v: float) -> np.ndarray:
    return 255.0 * np.array(colorsys.hsv_to_rgb(h % 1.0, float(np.clip(s, 0, 1)), float(np.clip(v, 0, 1))))


def _noise(rng: np.random.Generator, shape: tuple[int, int], cell: float) -> np.ndarray:
    """Smooth value noise [H, W] in about [-1, 1] with features of `cell` texture pixels."""
    h, w = shape
    cell = max(cell, 1.0)
    grid = rng.uniform(-1.0, 1.0, (int(h / cell) + 3, int(w / cell) + 3)).astype(np.float32)
    big = cv2.resize(grid, (int(grid.shape[1] * cell), int(grid.shape[0] * cell)), interpolation=cv2.INTER_CUBIC)
    return big[:h, :w]


def _floor_texture(kind: str, p: dict[str, float], rng: np.random.Generator, radius: float,
                   res: float, origin: np.ndarray) -> np.ndarray:
    """Floor texture [N, N, 3] float32 covering origin +- radius metres at `res` px per metre."""
    n = int(np.ceil(2 * radius * res))
    base = _rgb(p["floor_hue"], 0.8 * p["floor_saturation"], 0.25 + 0.6 * p["floor_value"])
    contrast = 0.05 + 0.3 * p["texture_contrast"]
    fine = _noise(rng, (n, n), max(2.0, 0.15 * res * (0.5 + p["texture_scale"])))
    coarse = _noise(rng, (n, n), max(4.0, 1.5 * res))
    amount = 2.0 if kind == "outdoor" else 1.0
    shade = 1.0 + amount * contrast * (0.6 * fine + 0.4 * coarse)
    tex = base[None, None, :] * shade[..., None]
    line = tuple(float(c) for c in 0.7 * base)

    def world_line(a: tuple[float, float], b: tuple[float, float], colour: tuple[float, ...], width: float) -> None:
        pa = np.round((np.array(a) - origin + radius) * res).astype(int)
        pb = np.round((np.array(b) - origin + radius) * res).astype(int)
        cv2.line(tex, (int(pa[0]), int(pa[1])), (int(pb[0]), int(pb[1])), colour, max(1, round(width * res)))

    if kind in ("lab", "indoor", "gym"):
        tile = 2.0 if kind == "gym" else 0.3 + 1.2 * p["texture_scale"]
        steps = np.arange(np.floor((-radius) / tile), np.ceil(radius / tile) + 1) * tile
        for s in steps:
            world_line((origin[0] + s, origin[1] - radius), (origin[0] + s, origin[1] + radius), line, 0.02)
            world_line((origin[0] - radius, origin[1] + s), (origin[0] + radius, origin[1] + s), line, 0.02)
    if kind == "court":  # volleyball court lines around the world origin
        white = (235.0, 235.0, 225.0)
        for x in (-9.0, -3.0, 0.0, 3.0, 9.0):
            world_line((x, -4.5), (x, 4.5), white, 0.05)
        for y in (-4.5, 4.5):
            world_line((-9.0, y), (9.0, y), white, 0.05)
    return tex


def _wall_texture(kind: str, p: dict[str, float], rng: np.random.Generator, radius: float,
                  res: float) -> np.ndarray:
    """Wall texture [H, W, 3] float32: the four walls side by side (8 radius metres) by height
    0.._WALL_TOP m (row 0 is the top)."""
    w, h = int(np.ceil(8 * radius * res)), int(np.ceil(_WALL_TOP * res))
    base = _rgb(p["wall_hue"], 0.7 * p["wall_saturation"], 0.3 + 0.6 * p["wall_value"])
    contrast = 0.03 + 0.15 * p["texture_contrast"]
    noise = _noise(rng, (h, w), max(2.0, 0.3 * res * (0.5 + p["texture_scale"])))
    z = (_WALL_TOP - (np.arange(h) + 0.5) / res)[:, None]  # height of each row
    shade = (1.0 + contrast * noise) * (1.0 - 0.04 * np.clip(z - 2.5, 0.0, None))  # dimmer toward the ceiling
    tex = base[None, None, :] * shade[..., None]

    def rect(x0: float, z0: float, x1: float, z1: float, colour: np.ndarray, ellipse: bool = False) -> None:
        c = tuple(float(v) for v in colour)
        r0, r1 = int((_WALL_TOP - z1) * res), int((_WALL_TOP - z0) * res)
        a0, a1 = int(x0 * res), int(x1 * res)
        if ellipse:
            cv2.ellipse(tex, ((a0 + a1) // 2, (r0 + r1) // 2), (max(1, (a1 - a0) // 2), max(1, (r1 - r0) // 2)),
                        0, 0, 360, c, -1)
        else:
            cv2.rectangle(tex, (a0, r0), (a1, r1), c, -1)

    perimeter = 8 * radius
    if kind == "outdoor":  # sky above a line of trees and buildings
        sky_from = 1.5 + 4.0 * p["texture_scale"]
        sky = _rgb(0.58 + 0.04 * rng.standard_normal(), rng.uniform(0.15, 0.5), rng.uniform(0.75, 0.95))
        rows = z[:, 0] > sky_from
        tex[rows] = (sky[None, :] * (1.0 - 0.02 * (z[rows] - sky_from)))[:, None, :]
        for _ in range(int(10 + 60 * p["clutter"])):
            x, width, top = rng.uniform(0, perimeter), rng.uniform(1.0, 6.0), sky_from + rng.uniform(-1.0, 3.0)
            tree = rng.random() < 0.6
            colour = _rgb(rng.uniform(0.2, 0.4), 0.6, rng.uniform(0.2, 0.5)) if tree else \
                _rgb(rng.random(), rng.uniform(0, 0.3), rng.uniform(0.3, 0.8))
            rect(x, 0.0 if not tree else top - width, x + width, top, colour, ellipse=tree)
    else:
        for _ in range(int(round(40 * p["clutter"]))):  # doors, shelves, posters, windows, furniture
            x, width = rng.uniform(0, perimeter), rng.uniform(0.3, 1.6)
            z0 = rng.choice([0.0, rng.uniform(0.5, 1.8)])
            height = rng.uniform(0.3, 2.2 - z0 + 0.3)
            colour = _rgb(rng.random(), rng.uniform(0.0, 0.8), rng.uniform(0.1, 0.95))
            rect(x, z0, x + width, z0 + height, colour)
        rect(0.0, 0.0, perimeter, 0.1, 0.6 * base)  # skirting board
        tex[z[:, 0] > 4.0] = 0.85 * base  # plain top, since rays above the wall stretch its last row
    return tex


def make_backdrop(clip: dict, param_names: list[str], K: np.ndarray, size: tuple[int, int]) -> Backdrop:
    """The backdrop of `clip` for frame cameras K [T,3,3] (video pixels) and clip_R/t, frame `size` (h, w)."""
    h, w = size
    R = np.asarray(clip["camera_R"], np.float64)
    t = np.asarray(clip["camera_t"], np.float64)
    p = dict(zip(param_names, np.asarray(clip["background"], np.float64).tolist()))
    rng = np.random.default_rng(int(clip["background_seed"]))
    ref = len(R) // 2
    centre_cam = -R[ref].T @ t[ref]

    # The room depends on the cameras only (so a clip renders the same backdrop with or without
    # its persons): centred where the cameras look at the floor, wide enough for a crowd behind.
    cams = -np.einsum("tji,tj->ti", R, t)
    axis = R[:, 2, :]
    reach = np.where(axis[:, 2] < -1e-3, cams[:, 2] / np.maximum(-axis[:, 2], 1e-3), 8.0)
    aim = cams[:, :2] + np.minimum(reach, 15.0)[:, None] * axis[:, :2]
    origin = aim.mean(0)
    radius = float(np.linalg.norm(cams[:, :2] - origin, axis=1).max()) + 12.0

    hc, wc = int(round(h * (1 + 2 * PAD))), int(round(w * (1 + 2 * PAD)))
    Kc = K[ref].copy()
    Kc[0, 2] += PAD * w
    Kc[1, 2] += PAD * h
    v, u = np.mgrid[0:hc, 0:wc].astype(np.float64)
    rays = np.stack([u, v, np.ones_like(u)], -1) @ np.linalg.inv(Kc).T @ R[ref]  # world directions
    dx, dy, dz = rays[..., 0], rays[..., 1], rays[..., 2]
    qx, qy = centre_cam[0] - origin[0], centre_cam[1] - origin[1]
    with np.errstate(divide="ignore", invalid="ignore"):  # rays parallel to a wall never meet it
        sx = np.where(np.abs(dx) > 1e-12, (np.sign(dx) * radius - qx) / dx, np.inf)
        sy = np.where(np.abs(dy) > 1e-12, (np.sign(dy) * radius - qy) / dy, np.inf)
        s_floor = np.where(dz < -1e-12, -centre_cam[2] / dz, np.inf)
    s_wall = np.minimum(sx, sy)
    on_floor = s_floor < s_wall

    floor_res = min(40.0, 512.0 / (2 * radius))
    wall_res = min(30.0, 2048.0 / (8 * radius))
    floor_tex = _floor_texture(str(clip["scene"]), p, rng, radius, floor_res, origin)
    wall_tex = _wall_texture(str(clip["scene"]), p, rng, radius, wall_res)

    s_f = np.where(on_floor, s_floor, 0.0)
    fx = (qx + s_f * dx + radius) * floor_res
    fy = (qy + s_f * dy + radius) * floor_res
    floor = cv2.remap(floor_tex, fx.astype(np.float32), fy.astype(np.float32), cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_REFLECT)
    s_w = np.where(np.isfinite(s_wall), s_wall, 0.0)
    px, py = np.clip(qx + s_w * dx, -radius, radius), np.clip(qy + s_w * dy, -radius, radius)
    side = 2 * radius
    # walls of a square room, unrolled one after the other: x = +r, y = +r, x = -r, y = -r
    along = np.where(sx <= sy, np.where(dx > 0, py + radius, 2 * side + radius - py),
                     np.where(dy > 0, side + radius - px, 3 * side + px + radius))
    wz = centre_cam[2] + s_w * dz
    wx = along * wall_res
    wy = (_WALL_TOP - np.clip(wz, 0.0, _WALL_TOP)) * wall_res
    wall = cv2.remap(wall_tex, wx.astype(np.float32), wy.astype(np.float32), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_WRAP)
    canvas = np.where(on_floor[..., None], floor, wall)
    canvas = np.clip(canvas, 0, 255).astype(np.uint8)

    inv_c = np.linalg.inv(Kc)
    homographies = K @ R @ R[ref].T @ inv_c
    return Backdrop(canvas, homographies)
