"""Pose files out to the mmaction2 / pyskl annotation format, so that pyskl or mmaction2 can train
on poses made here (`posec3d export`).

The format is the one the official files use: a pickle of {"split": {name: [frame_dir, ...]},
"annotations": [clip, ...]} with each clip's keypoint float32 [M, T, V, 2], keypoint_score
float32 [M, T, V], img_shape, original_shape, total_frames and label; mmaction2's PoseDataset and
pyskl's read "split" and "annotations" and leave other keys (our "meta": class names, provenance)
alone. Only plain containers, numpy arrays and scalars go in, so the project's restricted
unpickler reads the file back: `load_poses(export)` gives the dataset that was exported.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

from posec3d.atomic import atomic_path

from .errors import PoseFileError
from .pose_files import PICKLE_SUFFIXES
from .validate import normalise_dataset

PROTOCOL = 4  # read by every Python 3 that mmaction2 1.x and pyskl support


def export_annotations(dataset: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Validate `dataset` and write it as an mmaction2/pyskl annotation pickle, atomically.

    An invalid dataset raises PoseFileError naming the file and clip before anything is written.
    """
    path = Path(path)
    if path.suffix.lower() not in PICKLE_SUFFIXES:
        raise PoseFileError(f"{path}: annotation files are pickles; the name must end in .pkl")
    data = normalise_dataset(dataset, str(path))
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        pickle.dump(data, f, protocol=PROTOCOL)
