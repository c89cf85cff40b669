"""Class-score files: what testing writes and late fusion reads (npz, no pickle)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posec3d.atomic import atomic_path


@dataclass
class ClassScores:
    """Per-video class probabilities (averaged over test clips) with labels and clip ids."""

    scores: np.ndarray  # float32 [N, C]
    labels: np.ndarray  # int64 [N]
    frame_dirs: np.ndarray  # str [N]

    def save(self, path: str | Path) -> None:
        """Write the file atomically."""
        with atomic_path(path) as tmp:
            np.savez(tmp, scores=self.scores.astype(np.float32), labels=self.labels.astype(np.int64),
                     frame_dirs=np.asarray(self.frame_dirs, dtype=str))

    @classmethod
    def load(cls, path: str | Path) -> ClassScores:
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as f:
                data = cls(f["scores"], f["labels"], f["frame_dirs"])
        except (OSError, KeyError, ValueError) as err:
            raise ValueError(f"{path}: not a class-score file ({err})") from err
        if data.scores.ndim != 2 or len(data.scores) != len(data.labels) != len(data.frame_dirs):
            raise ValueError(f"{path}: scores {data.scores.shape}, labels {data.labels.shape} "
                             f"and frame_dirs {data.frame_dirs.shape} do not match")
        return data
