"""Class-score files: what testing writes and late fusion reads (npz, no pickle)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from posec3d.atomic import atomic_paths, json_text


@dataclass
class ClassScores:
    """Per-video class probabilities (averaged over test clips) with labels and clip ids."""

    scores: np.ndarray  # float32 [N, C]
    labels: np.ndarray  # int64 [N]
    frame_dirs: np.ndarray  # str [N]

    def save(self, path: str | Path, metrics: dict[str, Any] | None = None,
             metrics_path: str | Path | None = None) -> None:
        """Write the file, and `metrics` as JSON to `metrics_path` if given: atomically and together
        (both files appear, or neither)."""
        paths = [path] if metrics_path is None else [path, metrics_path]
        with atomic_paths(*paths) as tmps:
            np.savez(tmps[0], scores=self.scores.astype(np.float32), labels=self.labels.astype(np.int64),
                     frame_dirs=np.asarray(self.frame_dirs, dtype=str))
            if metrics_path is not None:
                tmps[1].write_text(json_text(metrics))

    @classmethod
    def load(cls, path: str | Path) -> ClassScores:
        """Read and check a class-score file: matching lengths, finite scores, labels within the
        classes, unique clip ids; anything else raises ValueError naming the file."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as f:
                data = cls(f["scores"], f["labels"], f["frame_dirs"])
        except OSError as err:
            raise ValueError(f"{path}: cannot read: {err.strerror or err}") from err
        except Exception as err:  # any failure to decode untrusted bytes: an empty, truncated or foreign file
            raise ValueError(f"{path}: not a class-score file ({type(err).__name__}: {err})") from err
        data._check(path)
        return data

    def _check(self, path: Path) -> None:
        scores, labels, frame_dirs = self.scores, self.labels, self.frame_dirs
        if scores.ndim != 2 or labels.ndim != 1 or frame_dirs.ndim != 1 or not (
                len(scores) == len(labels) == len(frame_dirs)):
            raise ValueError(f"{path}: scores {scores.shape}, labels {labels.shape} "
                             f"and frame_dirs {frame_dirs.shape} do not match")
        if scores.dtype.kind != "f" or labels.dtype.kind not in "iu" or frame_dirs.dtype.kind != "U":
            raise ValueError(f"{path}: expected float scores, integer labels and string frame_dirs, got "
                             f"{scores.dtype}, {labels.dtype} and {frame_dirs.dtype}")
        if len(scores) == 0 or scores.shape[1] == 0:
            raise ValueError(f"{path}: no videos or no classes (scores {scores.shape})")
        if not np.isfinite(scores).all():
            row = int(np.argwhere(~np.isfinite(scores))[0, 0])
            raise ValueError(f"{path}: clip {str(frame_dirs[row])!r}: scores contain NaN or inf")
        bad = np.flatnonzero((labels < 0) | (labels >= scores.shape[1]))
        if len(bad):
            raise ValueError(f"{path}: clip {str(frame_dirs[bad[0]])!r}: label {labels[bad[0]]} is outside the "
                             f"{scores.shape[1]} classes of the scores")
        names, counts = np.unique(frame_dirs, return_counts=True)
        if (counts > 1).any():
            repeated = np.flatnonzero(counts > 1)[0]
            raise ValueError(f"{path}: clip {str(names[repeated])!r} appears {counts[repeated]} times")
