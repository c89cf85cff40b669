"""Load and save pose datasets: official pickles in, the project's own .npz format in and out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import PoseFileError
from .npz_format import SUFFIX, read_npz, write_npz
from .restricted_pickle import load_pickle_restricted
from .validate import normalise_dataset

PICKLE_SUFFIXES: tuple[str, ...] = (".pkl", ".pickle")


def load_poses(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a pose dataset, validated and normalised (see `normalise_dataset`).

    By suffix: ".pkl" / ".pickle" is an official mmaction2/pyskl annotation file, read with the
    restricted unpickler; ".npz" is the project's own posec3d-poses format, read without pickle.
    Kinetics-400's kpfile layout needs `load_kinetics` instead.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        raw = load_pickle_restricted(path)
    elif suffix == SUFFIX:
        raw = read_npz(path)
    else:
        raise PoseFileError(
            f"{path}: unknown pose file suffix {path.suffix!r}; expected {SUFFIX} or .pkl"
        )
    return normalise_dataset(raw, str(path))


def save_poses(dataset: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Validate `dataset` and write it in the posec3d-poses format (.npz), atomically.

    An invalid dataset raises PoseFileError before anything is written; a failed write leaves
    no temporary file behind and any previous file at `path` untouched.
    """
    path = Path(path)
    if path.suffix != SUFFIX:
        raise PoseFileError(
            f"{path}: pose files are written as {SUFFIX}, got suffix {path.suffix!r}"
        )
    write_npz(normalise_dataset(dataset, str(path)), path)
