"""Scenes: persons, camera, occluders; projection, visibility and boxes.

A `Scene` is everything a renderer needs to draw a clip and everything the annotations are
derived from. Cameras are pinhole cameras in OpenCV's convention, one per frame:
x_cam = R @ X_world + t, (u, v, 1) ~ K @ x_cam (x right, y down, z forward). Per joint and frame
the visibility is one of VISIBLE, OCCLUDED (behind another body part, another person or an
occluder box) or OUTSIDE (out of the image or behind the camera).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posec3d.skeleton import NUM_JOINTS

from .body import CAPSULES, capsule_radii, forward_kinematics

OUTSIDE, OCCLUDED, VISIBLE = 0, 1, 2
NEAR = 0.1  # metres: points closer to the camera plane count as behind it

# Role codes of the `role` annotation.
ACTOR, DISTRACTOR, OTHER_PLAYER = 0, 1, 2

CLOTHING_PARTS: tuple[str, ...] = ("skin", "hair", "top", "bottom", "shoes")
BACKGROUND_PARAMS: tuple[str, ...] = (
    "wall_hue", "wall_saturation", "wall_value", "floor_hue", "floor_saturation", "floor_value",
    "texture_scale", "texture_contrast", "clutter",
)


@dataclass
class Person:
    """One person: who they are, where they are placed and how they move."""

    role: int
    poi: bool
    shape: np.ndarray  # [S] body.SHAPE_PARAMS
    motion: np.ndarray  # [T, D] body.CHANNELS
    placement: tuple[float, float, float, float]  # x, y, ground height (m), heading (deg)
    clothing: np.ndarray  # [len(CLOTHING_PARTS), 3] uint8 RGB

    def points(self) -> np.ndarray:
        """World points [T, NUM_POINTS, 3] (COCO joints, then body.NECK, PELVIS, HEAD, CROWN)."""
        return forward_kinematics(self.motion, self.shape, self.placement)


@dataclass
class Camera:
    """Per-frame pinhole camera: K [T,3,3], R [T,3,3], t [T,3]."""

    K: np.ndarray
    R: np.ndarray
    t: np.ndarray

    @property
    def centre(self) -> np.ndarray:
        """Camera centres in the world [T, 3]."""
        return -np.einsum("tji,tj->ti", self.R, self.t)

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points [..., T, P, 3] to camera coordinates [..., T, P, 3]."""
        return np.einsum("tij,...tpj->...tpi", self.R, points) + self.t[:, None, :]

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates [..., T, P, 2] and depths [..., T, P] of world points [..., T, P, 3]."""
        cam = self.to_camera(points)
        depth = cam[..., 2]
        safe = np.where(depth > NEAR, depth, NEAR)
        f = self.K[:, None, [0, 1], [0, 1]]
        c = self.K[:, None, [0, 1], [2, 2]]
        return f * cam[..., :2] / safe[..., None] + c, depth


def look_at(position: np.ndarray, target: np.ndarray, focal: np.ndarray | float,
            img_shape: tuple[int, int]) -> Camera:
    """Cameras at `position` [T, 3] looking at `target` [T, 3] (z up), focal length in pixels."""
    position, target = np.atleast_2d(position).astype(float), np.atleast_2d(target).astype(float)
    frames = max(len(position), len(target))
    position, target = np.broadcast_to(position, (frames, 3)), np.broadcast_to(target, (frames, 3))
    forward = target - position
    forward /= np.linalg.norm(forward, axis=-1, keepdims=True)
    right = np.cross(forward, np.array([0.0, 0.0, 1.0]))
    right /= np.linalg.norm(right, axis=-1, keepdims=True)
    down = np.cross(forward, right)
    R = np.stack([right, down, forward], axis=1)
    t = -np.einsum("tij,tj->ti", R, position)
    h, w = img_shape
    K = np.zeros((frames, 3, 3))
    K[:, 0, 0] = K[:, 1, 1] = np.broadcast_to(np.asarray(focal, dtype=float), (frames,))
    K[:, 0, 2], K[:, 1, 2], K[:, 2, 2] = w / 2.0, h / 2.0, 1.0
    return Camera(K, R, t)


@dataclass
class Scene:
    """One clip's world: persons (persons of interest first), camera, props and backdrop."""

    persons: list[Person]
    camera: Camera
    img_shape: tuple[int, int]
    kind: str  # "lab", "gym", "indoor", "outdoor", "court": the backdrop a renderer draws
    background: np.ndarray  # [len(BACKGROUND_PARAMS)] in [0, 1]
    background_seed: int
    occluders: np.ndarray = field(default_factory=lambda: np.zeros((0, 6)))  # boxes x0 y0 z0 x1 y1 z1
    occluder_colours: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.uint8))


def _covered(jx: np.ndarray, jy: np.ndarray, jz: np.ndarray, ax: np.ndarray, ay: np.ndarray, za: np.ndarray,
             bx: np.ndarray, by: np.ndarray, zb: np.ndarray, radius: np.ndarray, focal: np.ndarray) -> np.ndarray:
    """[t, J, C]: joint j (image point, depth [t, J]) lies behind capsule c (ends [t, C]).

    Hidden means: the image point falls within the capsule's projected radius and the joint is
    more than half a radius farther than the capsule's axis there.
    """
    abx, aby = (bx - ax)[:, None, :], (by - ay)[:, None, :]
    apx, apy = jx[:, :, None] - ax[:, None, :], jy[:, :, None] - ay[:, None, :]
    u = np.clip((apx * abx + apy * aby) / np.maximum(abx * abx + aby * aby, 1e-9), 0.0, 1.0)
    dx, dy = apx - u * abx, apy - u * aby
    z_c = za[:, None, :] + u * (zb - za)[:, None, :]
    r_px = focal[:, None, None] * radius / np.maximum(z_c, NEAR)
    return (dx * dx + dy * dy < r_px * r_px) & (z_c > NEAR) & (jz[:, :, None] > z_c + 0.5 * radius)


def _body_occlusion(uv: np.ndarray, depth: np.ndarray, radii: np.ndarray, focal: np.ndarray) -> np.ndarray:
    """Joints [M, T, 17] hidden behind a body part, their own (not one they are an end of) or
    another person's; pairs of persons whose images never overlap are skipped."""
    persons, frames = uv.shape[:2]
    a_idx = [a for a, _, _ in CAPSULES]
    b_idx = [b for _, b, _ in CAPSULES]
    ax, ay, za = uv[:, :, a_idx, 0], uv[:, :, a_idx, 1], depth[:, :, a_idx]  # [M, T, C]
    bx, by, zb = uv[:, :, b_idx, 0], uv[:, :, b_idx, 1], depth[:, :, b_idx]
    jx, jy, jz = uv[:, :, :NUM_JOINTS, 0], uv[:, :, :NUM_JOINTS, 1], depth[:, :, :NUM_JOINTS]  # [M, T, J]
    own = np.array([[j in (a, b) for a, b, _ in CAPSULES] for j in range(NUM_JOINTS)])  # [J, C]

    reach = focal[None, :, None] * radii[:, None, :] / np.maximum(np.minimum(za, zb), NEAR)
    x0, x1 = (np.minimum(ax, bx) - reach).min(-1), (np.maximum(ax, bx) + reach).max(-1)  # [M, T]
    y0, y1 = (np.minimum(ay, by) - reach).min(-1), (np.maximum(ay, by) + reach).max(-1)
    in_front = (np.minimum(za, zb) > NEAR).any(-1)

    hidden = np.zeros((persons, frames, NUM_JOINTS), dtype=bool)
    for p in range(persons):
        for q in range(persons):
            if p == q:
                sel = np.arange(frames)
            else:
                overlap = ((jx[p].min(-1) <= x1[q]) & (jx[p].max(-1) >= x0[q]) & (jy[p].min(-1) <= y1[q])
                           & (jy[p].max(-1) >= y0[q]) & in_front[q])
                sel = np.flatnonzero(overlap)
                if len(sel) == 0:
                    continue
            covered = _covered(jx[p, sel], jy[p, sel], jz[p, sel], ax[q, sel], ay[q, sel], za[q, sel],
                               bx[q, sel], by[q, sel], zb[q, sel], radii[q], focal[sel])
            if p == q:
                covered &= ~own
            hidden[p, sel] |= covered.any(-1)
    return hidden


def _box_occlusion(joints: np.ndarray, centre: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Joints [M, T, 17] whose line of sight from the camera passes through an occluder box."""
    if len(boxes) == 0:
        return np.zeros(joints.shape[:-1], dtype=bool)
    origin = centre[None, :, None, None, :]  # [1, T, 1, 1, 3]
    ray = joints[..., None, :] - origin  # [M, T, J, 1, 3]
    ray = np.where(np.abs(ray) < 1e-9, 1e-9, ray)
    t0 = (boxes[:, :3] - origin) / ray  # [M, T, J, B, 3]
    t1 = (boxes[:, 3:] - origin) / ray
    enter = np.minimum(t0, t1).max(-1)
    leave = np.maximum(t0, t1).min(-1)
    return ((enter < leave) & (leave > 0.0) & (enter < 0.98)).any(-1)


def visibility(points: np.ndarray, shapes: np.ndarray, scene: Scene) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel coordinates [M,T,P,2], depths [M,T,P] and joint visibility [M,T,17] (int8 codes).

    `points` are world points [M, T, NUM_POINTS, 3] of the scene's persons, `shapes` [M, S].
    """
    camera = scene.camera
    uv, depth = camera.project(points)
    h, w = scene.img_shape
    joints_uv, joints_z = uv[:, :, :NUM_JOINTS], depth[:, :, :NUM_JOINTS]
    inside = ((joints_z > NEAR) & (joints_uv[..., 0] >= 0) & (joints_uv[..., 0] < w)
              & (joints_uv[..., 1] >= 0) & (joints_uv[..., 1] < h))
    hidden = _body_occlusion(uv, depth, capsule_radii(shapes), camera.K[:, 0, 0])
    hidden |= _box_occlusion(points[:, :, :NUM_JOINTS], camera.centre, scene.occluders)
    state = np.where(inside, np.where(hidden, OCCLUDED, VISIBLE), OUTSIDE).astype(np.int8)
    return uv, depth, state


def boxes(uv: np.ndarray, depth: np.ndarray, state: np.ndarray, img_shape: tuple[int, int],
          margin: float = 0.1) -> np.ndarray:
    """Person boxes [M, T, 4] (x1, y1, x2, y2): the extent of the projected body (all points in
    front of the camera, crown included) widened by `margin` of its size on each side and
    clipped to the image; all zeros in frames where none of the person's joints is in the image.
    """
    h, w = img_shape
    front = depth > NEAR
    x, y = uv[..., 0], uv[..., 1]
    x1, x2 = np.where(front, x, np.inf).min(-1), np.where(front, x, -np.inf).max(-1)
    y1, y2 = np.where(front, y, np.inf).min(-1), np.where(front, y, -np.inf).max(-1)
    seen = (state != OUTSIDE).any(-1)  # some joint in the image, so some point in front
    x1, x2, y1, y2 = (np.where(seen, v, 0.0) for v in (x1, x2, y1, y2))
    dx, dy = margin * (x2 - x1), margin * (y2 - y1)
    box = np.stack([np.clip(x1 - dx, 0, w), np.clip(y1 - dy, 0, h),
                    np.clip(x2 + dx, 0, w), np.clip(y2 + dy, 0, h)], axis=-1)
    return np.where(seen[..., None], box, 0.0)


def annotate(scene: Scene, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The per-person arrays of a clip: 2D/3D keypoints, scores, boxes, roles and looks.

    keypoint_score is 1 for a visible joint, uniform in [0.3, 0.6] for an occluded one (inside the
    image but hidden) and 0 outside the image, where the keypoint is (0, 0).
    """
    points = np.stack([p.points() for p in scene.persons])  # [M, T, P, 3]
    shapes = np.stack([p.shape for p in scene.persons])
    uv, depth, state = visibility(points, shapes, scene)
    score = np.where(state == VISIBLE, 1.0, np.where(state == OCCLUDED, rng.uniform(0.3, 0.6, state.shape), 0.0))
    keypoint = np.where((state != OUTSIDE)[..., None], uv[:, :, :NUM_JOINTS], 0.0)
    return {
        "keypoint": keypoint.astype(np.float32),
        "keypoint_score": score.astype(np.float32),
        "keypoint_3d": points[:, :, :NUM_JOINTS].astype(np.float32),
        "body_aux_3d": points[:, :, NUM_JOINTS:].astype(np.float32),
        "box": boxes(uv, depth, state, scene.img_shape).astype(np.float32),
        "poi": np.array([p.poi for p in scene.persons], dtype=bool),
        "role": np.array([p.role for p in scene.persons], dtype=np.int8),
        "body_shape": shapes.astype(np.float32),
        "clothing": np.stack([p.clothing for p in scene.persons]).astype(np.uint8),
        "camera_K": scene.camera.K.astype(np.float32),
        "camera_R": scene.camera.R.astype(np.float32),
        "camera_t": scene.camera.t.astype(np.float32),
        "occluders": scene.occluders.astype(np.float32),
        "occluder_colours": scene.occluder_colours.astype(np.uint8),
        "background": scene.background.astype(np.float32),
    }

