"""The COCO-17 skeleton: joint names, the 17 limbs of PoseC3D's limb heatmaps, flip pairs.

Every module that needs to know which joint is which (heatmaps, flips, the GCN graph, the
synthetic bodies) reads it from here.
"""

from __future__ import annotations

JOINTS: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
NUM_JOINTS = len(JOINTS)

# The 17 limbs of PoseC3D's limb pseudo-heatmaps (Eq. 2), in mmaction2/pyskl's order
# (GeneratePoseTarget's default `skeletons`), so that limb channels line up with theirs.
LIMBS: tuple[tuple[int, int], ...] = (
    (0, 1), (0, 2), (1, 3), (2, 4),
    (0, 5), (5, 7), (7, 9),
    (0, 6), (6, 8), (8, 10),
    (5, 11), (11, 13), (13, 15),
    (6, 12), (12, 14), (14, 16),
    (11, 12),
)
NUM_LIMBS = len(LIMBS)

# A heatmap volume's modalities: joints (Eq. 1), limbs (Eq. 2), or both stacked as one input,
# joint maps first (PA3D's J (+) P, limbs standing for its part affinity fields), and their
# channels. Late fusion of separate runs is `joint+limb`.
MODALITY_PARTS: dict[str, tuple[str, ...]] = {"joint": ("joint",), "limb": ("limb",), "joint-limb": ("joint", "limb")}
MODALITY_CHANNELS: dict[str, int] = {
    m: sum({"joint": NUM_JOINTS, "limb": NUM_LIMBS}[p] for p in parts) for m, parts in MODALITY_PARTS.items()}

LEFT_JOINTS: tuple[int, ...] = (1, 3, 5, 7, 9, 11, 13, 15)
RIGHT_JOINTS: tuple[int, ...] = (2, 4, 6, 8, 10, 12, 14, 16)


def _mirror_permutation(left: tuple[int, ...], right: tuple[int, ...], n: int) -> tuple[int, ...]:
    perm = list(range(n))
    for a, b in zip(left, right):
        perm[a], perm[b] = b, a
    return tuple(perm)


# JOINT_FLIP[k] is the joint that takes joint k's place in a horizontally mirrored frame.
JOINT_FLIP: tuple[int, ...] = _mirror_permutation(LEFT_JOINTS, RIGHT_JOINTS, NUM_JOINTS)


def _limb_flip() -> tuple[int, ...]:
    index = {limb: i for i, limb in enumerate(LIMBS)}
    flipped = []
    for a, b in LIMBS:
        fa, fb = JOINT_FLIP[a], JOINT_FLIP[b]
        flipped.append(index.get((fa, fb), index.get((fb, fa))))
    return tuple(flipped)


# LIMB_FLIP[l] is the limb that takes limb l's place in a mirrored frame (pyskl's left_limb /
# right_limb swap, derived rather than typed).
LIMB_FLIP: tuple[int, ...] = _limb_flip()

# The 8 limb keypoints of Table 5's robustness test (elbows, wrists, knees, ankles).
LIMB_KEYPOINTS: tuple[int, ...] = (7, 8, 9, 10, 13, 14, 15, 16)

# Undirected bones of the COCO graph for GCNs (pyskl's 'coco' layout inward edges).
BONES: tuple[tuple[int, int], ...] = (
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 5), (12, 6),
    (9, 7), (7, 5), (10, 8), (8, 6), (5, 0), (6, 0),
    (1, 0), (3, 1), (2, 0), (4, 2),
)
