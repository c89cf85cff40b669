"""The articulated 3D body: proportions, joint-angle channels and forward kinematics to COCO-17.

World frame: metres, z up, the ground is z = 0. A body's own frame: +x forward, +y to its left,
+z up. A pose is one value per channel of `CHANNELS` (angles in degrees, `lift`, `x`, `y` in
metres); `forward_kinematics` turns poses [..., D] into points [..., 21, 3]: the 17 COCO joints
(order of `posec3d.skeleton.JOINTS`) and 4 auxiliary points that renderers and the occlusion test
use (neck base, pelvis, head centre, crown).
"""

from __future__ import annotations

import numpy as np

from posec3d.skeleton import NUM_JOINTS

# Body shape vector [S]: lengths in metres (joint centre to joint centre), girth a unitless
# thickness factor (1 = average) for limb and torso radii.
SHAPE_PARAMS: tuple[str, ...] = (
    "height", "shoulder_width", "hip_width", "torso", "neck", "head",
    "upper_arm", "forearm", "thigh", "shank", "ankle", "girth",
)
SHAPE_INDEX = {name: i for i, name in enumerate(SHAPE_PARAMS)}

# Mean segment lengths as fractions of stature (after Drillis & Contini's proportions, as
# joint-centre distances). ankle + shank + thigh + torso + neck + head = 1.
_MEAN_RATIOS = {
    "shoulder_width": 0.215, "hip_width": 0.11, "torso": 0.29, "neck": 0.05, "head": 0.13,
    "upper_arm": 0.186, "forearm": 0.146, "thigh": 0.245, "shank": 0.246, "ankle": 0.039,
}

_SIDE_CHANNELS = ("shoulder_flex", "shoulder_abd", "shoulder_twist", "elbow", "hip_flex", "hip_abd", "knee")

# Pose channels. body_pitch/body_roll tilt the whole body about the pelvis (saltos, cartwheels,
# lying); torso_* bend the spine at the pelvis; shoulder_flex raises the arm forward, _abd
# sideways, _twist turns it about its own axis (which way the elbow bends); elbow/knee flex.
# Positive roll leans to the body's right; positive yaw turns to its left.
ANGLE_CHANNELS: tuple[str, ...] = (
    "body_pitch", "body_roll", "torso_pitch", "torso_roll", "torso_yaw", "head_pitch", "head_yaw",
    *(f"l_{c}" for c in _SIDE_CHANNELS), *(f"r_{c}" for c in _SIDE_CHANNELS),
)
# lift: height of the body above its ground contact (jumps); x, y: position of the pelvis in the
# person's placement frame; heading: yaw of the whole body relative to its placement.
ROOT_CHANNELS: tuple[str, ...] = ("lift", "x", "y", "heading")
CHANNELS: tuple[str, ...] = ANGLE_CHANNELS + ROOT_CHANNELS
CHANNEL_INDEX = {name: i for i, name in enumerate(CHANNELS)}

# Auxiliary points after the 17 COCO joints.
NECK, PELVIS, HEAD, CROWN = NUM_JOINTS, NUM_JOINTS + 1, NUM_JOINTS + 2, NUM_JOINTS + 3
NUM_POINTS = NUM_JOINTS + 4

# Body parts as capsules (point a, point b, radius in metres for an average 1.70 m body of girth
# 1): what hides joints in the visibility test and what a renderer draws as limbs.
CAPSULES: tuple[tuple[int, int, float], ...] = (
    (HEAD, HEAD, 0.095), (NECK, HEAD, 0.05),
    (NECK, PELVIS, 0.11), (5, 11, 0.07), (6, 12, 0.07),
    (5, 7, 0.045), (7, 9, 0.037), (6, 8, 0.045), (8, 10, 0.037),
    (11, 13, 0.07), (13, 15, 0.05), (12, 14, 0.07), (14, 16, 0.05),
)

# Face points relative to the head centre, in head lengths (forward, left, up).
_FACE = np.array([
    (0.45, 0.0, -0.05),                     # nose
    (0.38, 0.14, 0.08), (0.38, -0.14, 0.08),  # left, right eye
    (0.0, 0.36, 0.02), (0.0, -0.36, 0.02),    # left, right ear
])


def sample_shape(rng: np.random.Generator, height: float = 1.70, height_sd: float = 0.08,
                 proportion_sd: float = 0.04, girth_sd: float = 0.12) -> np.ndarray:
    """One person's body shape [S] (see SHAPE_PARAMS): stature, then per-segment proportions."""
    stature = float(np.clip(rng.normal(height, height_sd), 0.9, 2.2))
    shape = np.empty(len(SHAPE_PARAMS))
    shape[SHAPE_INDEX["height"]] = stature
    for name, ratio in _MEAN_RATIOS.items():
        shape[SHAPE_INDEX[name]] = stature * ratio * np.clip(1 + rng.normal(0, proportion_sd), 0.8, 1.2)
    shape[SHAPE_INDEX["girth"]] = np.clip(1 + rng.normal(0, girth_sd), 0.7, 1.5)
    return shape


def capsule_radii(shape: np.ndarray) -> np.ndarray:
    """Radii [..., len(CAPSULES)] of the body-part capsules of shapes [..., S]."""
    base = np.array([r for _, _, r in CAPSULES])
    scale = shape[..., SHAPE_INDEX["girth"]] * shape[..., SHAPE_INDEX["height"]] / 1.70
    return scale[..., None] * base


def _rotation(axis: int, degrees: np.ndarray) -> np.ndarray:
    """Rotation matrices [..., 3, 3] about a coordinate axis (0: x, 1: y, 2: z)."""
    a = np.deg2rad(degrees)
    c, s = np.cos(a), np.sin(a)
    out = np.zeros(a.shape + (3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    out[..., axis, axis] = 1.0
    out[..., i, i] = c
    out[..., j, j] = c
    out[..., i, j] = -s
    out[..., j, i] = s
    return out


def _apply(rot: np.ndarray, vec: np.ndarray) -> np.ndarray:
    return np.einsum("...ij,...j->...i", rot, vec)


def forward_kinematics(pose: np.ndarray, shape: np.ndarray,
                       placement: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)) -> np.ndarray:
    """World points [..., NUM_POINTS, 3] of poses [..., D] (CHANNELS) of one body shape [S].

    `placement` = (x, y, ground height, heading in degrees) puts the person's frame into the
    world. The body is lowered onto its ground (its lowest point one ankle height above it), then
    raised by `lift`, so crouches, sitting and handstands stand on the floor without contact
    bookkeeping in the motions.
    """
    pose = np.asarray(pose, dtype=np.float64)
    ch = {name: pose[..., i] for i, name in enumerate(CHANNELS)}
    length = {name: shape[SHAPE_INDEX[name]] for name in SHAPE_PARAMS}
    batch = pose.shape[:-1]
    px, py, ground, heading0 = placement

    r_body = _rotation(2, ch["heading"] + heading0) @ _rotation(1, ch["body_pitch"]) @ _rotation(0, ch["body_roll"])
    r_torso = r_body @ _rotation(2, ch["torso_yaw"]) @ _rotation(1, ch["torso_pitch"]) @ _rotation(0, ch["torso_roll"])
    r_head = r_torso @ _rotation(2, ch["head_yaw"]) @ _rotation(1, ch["head_pitch"])

    pts = np.zeros(batch + (NUM_POINTS, 3))
    neck = _apply(r_torso, np.array([0.0, 0.0, length["torso"]]))
    head = neck + _apply(r_head, np.array([0.0, 0.0, length["neck"] + 0.5 * length["head"]]))
    pts[..., NECK, :] = neck
    pts[..., HEAD, :] = head
    pts[..., CROWN, :] = head + _apply(r_head, np.array([0.0, 0.0, 0.5 * length["head"]]))
    pts[..., 0:5, :] = head[..., None, :] + np.einsum("...ij,kj->...ki", r_head, _FACE * length["head"])

    for side, sign, (sh, el, wr, hp, kn, an) in (("l", 1.0, (5, 7, 9, 11, 13, 15)),
                                                  ("r", -1.0, (6, 8, 10, 12, 14, 16))):
        shoulder = neck + _apply(r_torso, np.array([0.0, sign * 0.5 * length["shoulder_width"], 0.0]))
        r_upper = (r_torso @ _rotation(0, sign * ch[f"{side}_shoulder_abd"])
                   @ _rotation(1, -ch[f"{side}_shoulder_flex"]) @ _rotation(2, sign * ch[f"{side}_shoulder_twist"]))
        elbow = shoulder + _apply(r_upper, np.array([0.0, 0.0, -length["upper_arm"]]))
        r_fore = r_upper @ _rotation(1, -ch[f"{side}_elbow"])
        wrist = elbow + _apply(r_fore, np.array([0.0, 0.0, -length["forearm"]]))

        hip = _apply(r_body, np.array([0.0, sign * 0.5 * length["hip_width"], 0.0]))
        r_thigh = r_body @ _rotation(0, sign * ch[f"{side}_hip_abd"]) @ _rotation(1, -ch[f"{side}_hip_flex"])
        knee = hip + _apply(r_thigh, np.array([0.0, 0.0, -length["thigh"]]))
        r_shank = r_thigh @ _rotation(1, ch[f"{side}_knee"])
        ankle = knee + _apply(r_shank, np.array([0.0, 0.0, -length["shank"]]))
        for index, point in ((sh, shoulder), (el, elbow), (wr, wrist), (hp, hip), (kn, knee), (an, ankle)):
            pts[..., index, :] = point

    # Pelvis is the origin of the body frame; move the body to its root position on the ground.
    h0 = np.deg2rad(heading0)
    root_x = px + np.cos(h0) * ch["x"] - np.sin(h0) * ch["y"]
    root_y = py + np.sin(h0) * ch["x"] + np.cos(h0) * ch["y"]
    root_z = ground + length["ankle"] - pts[..., 2].min(axis=-1) + ch["lift"]
    pts += np.stack([root_x, root_y, root_z], axis=-1)[..., None, :]
    return pts
