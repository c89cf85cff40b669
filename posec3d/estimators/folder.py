"""What an estimator folder holds: the one home of its file names.

Training writes config.py and model.pth, evaluation writes metrics.json; loading, the workflow's
paths (`posec3d.plan.estimator_files`) and evaluation read the names from here. Imports nothing heavy.
"""

from __future__ import annotations

from pathlib import Path

CONFIG = "config.py"  # the resolved mmengine config, data paths included
WEIGHTS = "model.pth"  # state dict and meta
METRICS = "metrics.json"  # COCO AP on the held-out frames


def estimator_paths(estimator: str | Path) -> tuple[Path, Path]:
    """Where an estimator folder keeps its config and weights."""
    return Path(estimator) / CONFIG, Path(estimator) / WEIGHTS


def estimator_files(estimator: str | Path) -> tuple[Path, Path]:
    """The config and weights of an estimator folder, or FileNotFoundError naming what is missing."""
    estimator = Path(estimator)
    files = estimator_paths(estimator)
    for path in files:
        if not path.is_file():
            raise FileNotFoundError(f"estimator {estimator}: missing {path.name} ({path})")
    return files
