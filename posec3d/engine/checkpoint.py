"""Checkpoints: one file per epoch, written atomically, loaded without arbitrary pickle."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch

from posec3d.atomic import atomic_path

_EPOCH_FILE = re.compile(r"epoch_(\d+)\.pt$")


def save_atomic(obj: Any, path: str | Path) -> None:
    """torch.save `obj` to `path`, atomically."""
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint with torch's restricted unpickler (tensors and plain containers only)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises several types for corrupt or foreign files
        raise ValueError(f"{path}: not a readable posec3d checkpoint ({err})") from err


def epoch_checkpoint(directory: str | Path, epoch: int) -> Path:
    """Path of the checkpoint written after `epoch` (1-based) in `directory`."""
    return Path(directory) / f"epoch_{epoch:03d}.pt"


def latest_checkpoint(directory: str | Path) -> Path | None:
    """The checkpoint of the highest completed epoch in `directory`, if any."""
    directory = Path(directory)
    if not directory.is_dir():
        return None
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _EPOCH_FILE.match(p.name))]
    return max(found)[1] if found else None


def prune_checkpoints(directory: str | Path, keep: int) -> None:
    """Delete all but the `keep` most recent epoch checkpoints."""
    found = sorted(
        (int(m.group(1)), p) for p in Path(directory).iterdir() if (m := _EPOCH_FILE.match(p.name))
    )
    for _, path in found[:-keep] if keep > 0 else found:
        path.unlink()
