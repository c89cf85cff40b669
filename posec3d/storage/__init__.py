"""Coordinate storage: pose annotation files in the mmaction2/pyskl format.

    dataset = {"split": {name: [frame_dir, ...]}, "annotations": [clip, ...], **extras}
    clip = {"frame_dir": str, "label": int, "img_shape": (h, w), "original_shape": (h, w),
            "total_frames": int, "keypoint": float32 [M,T,V,C], "keypoint_score": float32 [M,T,V],
            **extras}

Official pickles (mmaction2/pyskl .pkl) are read through a restricted unpickler that refuses
anything but plain containers, numpy arrays and scalars; Kinetics-400's kpfile layout through
`load_kinetics`. The project's own files are ".npz" archives in the "posec3d-poses/1" format
(see `npz_format`), loaded without pickle. Every problem with a file or clip raises
PoseFileError naming the file and the clip.
"""

from __future__ import annotations

from .errors import PoseFileError
from .kinetics import load_kinetics
from .pose_files import load_poses, save_poses
from .restricted_pickle import load_pickle_restricted
from .splits import split_clips

__all__ = [
    "PoseFileError",
    "load_kinetics",
    "load_pickle_restricted",
    "load_poses",
    "save_poses",
    "split_clips",
]
