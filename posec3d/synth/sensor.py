"""A depth-sensor (Kinect-like) model of 3D skeletons, for the 2D-vs-3D comparison (Table 3a).

The paper's point is that sensor 3D skeletons are noisy (its Figure 1): joints jitter more the
farther they are, mostly along the viewing ray; bones stretch and shrink from frame to frame;
joints the sensor cannot see drift and the limbs of a person seen side-on get swapped left for
right; the skeleton stream is not in step with the motion. `sensor_skeleton` applies exactly
these effects to clean joints in camera coordinates.
"""

from __future__ import annotations

import numpy as np

from posec3d.skeleton import JOINT_FLIP, NUM_JOINTS

from .noise import smooth_noise

_PELVIS, _NECK = -1, -2  # virtual anchors: the mid-hip and mid-shoulder points
# Parent of each joint in the order bones are rebuilt (parents first).
_TREE: tuple[tuple[int, int], ...] = (
    (11, _PELVIS), (12, _PELVIS), (13, 11), (14, 12), (15, 13), (16, 14),
    (5, _NECK), (6, _NECK), (7, 5), (8, 6), (9, 7), (10, 8),
    (0, _NECK), (1, 0), (2, 0), (3, 1), (4, 2),
)
_ARMS = (5, 6, 7, 8, 9, 10)
_LEGS = (11, 12, 13, 14, 15, 16)


def _retime(joints: np.ndarray, rng: np.random.Generator, level: float) -> np.ndarray:
    """Resample frames at slightly wrong times, with the odd frozen frame."""
    frames = joints.shape[1]
    if frames < 2:
        return joints
    times = np.arange(frames) + 0.6 * level * smooth_noise(rng, (frames,), 3.0, 0)
    frozen = rng.random(frames) < 0.02 * level
    for t in np.flatnonzero(frozen[1:]) + 1:
        times[t] = times[t - 1]
    times = np.clip(times, 0.0, frames - 1.0)
    low = np.minimum(times.astype(int), frames - 2)
    frac = (times - low)[None, :, None, None]
    return joints[:, low] * (1.0 - frac) + joints[:, low + 1] * frac


def _wobble_bones(joints: np.ndarray, rng: np.random.Generator, level: float) -> np.ndarray:
    """Rebuild the skeleton from the trunk outwards with every bone's length off by a few %."""
    persons, frames = joints.shape[:2]
    stretch = 1.0 + 0.04 * level * smooth_noise(rng, (persons, frames, NUM_JOINTS + 1), 4.0, 1)
    old = {j: joints[:, :, j] for j in range(NUM_JOINTS)}
    old[_PELVIS] = 0.5 * (joints[:, :, 11] + joints[:, :, 12])
    old[_NECK] = 0.5 * (joints[:, :, 5] + joints[:, :, 6])
    new = {_PELVIS: old[_PELVIS], _NECK: old[_PELVIS] + (old[_NECK] - old[_PELVIS]) * stretch[..., -1:]}
    for joint, parent in _TREE:
        new[joint] = new[parent] + (old[joint] - old[parent]) * stretch[..., joint:joint + 1]
    return np.stack([new[j] for j in range(NUM_JOINTS)], axis=2)


def _swap_limbs(joints: np.ndarray, unreliable: np.ndarray, rng: np.random.Generator, level: float) -> np.ndarray:
    """For a person often partly hidden, swap left and right arms or legs for a stretch of frames."""
    out = joints.copy()
    frames = joints.shape[1]
    for m in range(joints.shape[0]):
        hidden = unreliable[m][:, _ARMS + _LEGS].sum(-1) >= 2
        if hidden.mean() < 0.1 or rng.random() > min(1.0, 0.5 * level):
            continue
        length = int(min(frames, rng.integers(8, 31)))
        start = int(np.clip(rng.choice(np.flatnonzero(hidden)) - length // 2, 0, frames - length))
        group = list(_ARMS if rng.random() < 0.5 else _LEGS)
        flipped = [JOINT_FLIP[j] for j in group]
        out[m][start:start + length, group] = joints[m][start:start + length, flipped]
    return out


def sensor_skeleton(joints: np.ndarray, unreliable: np.ndarray, rng: np.random.Generator,
                    level: float = 1.0) -> np.ndarray:
    """Sensor-like 3D skeletons float32 [M, T, 17, 3] from clean joints in camera coordinates
    (metres, z along the viewing ray) [M, T, 17, 3]; `unreliable` [M, T, 17] marks joints the
    sensor cannot see (hidden or out of view). `level` scales every effect (0: none)."""
    joints = np.asarray(joints, dtype=np.float64)
    if level <= 0:
        return joints.astype(np.float32)
    noisy = _wobble_bones(_retime(joints, rng, level), rng, level)
    # Kinect-like depth noise grows with the square of the distance; beyond a Kinect's range
    # (4.5 m; the gym analog's 3D stands in for a monocular estimator) it stops growing.
    depth = np.clip(noisy[..., 2:3], 0.5, 4.5)
    sigma = level * (0.004 + 0.002 * depth ** 2) * np.array([1.0, 1.0, 2.5])  # worse along the ray
    jitter = 0.7 * rng.normal(size=noisy.shape) + 0.7 * smooth_noise(rng, noisy.shape, 2.0, 1)
    noisy = noisy + sigma * jitter
    drift = 0.05 * level * smooth_noise(rng, noisy.shape, 5.0, 1)
    noisy = noisy + np.where(unreliable[..., None], drift, 0.0)
    return _swap_limbs(noisy, unreliable, rng, level).astype(np.float32)
