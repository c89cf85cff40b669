"""Checkpoints: one file per epoch, written atomically, loaded without arbitrary pickle."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import torch

from posec3d.atomic import atomic_path

log = logging.getLogger("posec3d.train")

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


def newest_readable_checkpoint(
    directory: str | Path, map_location: str | torch.device = "cpu"
) -> tuple[Path | None, dict[str, Any] | None, list[Path]]:
    """The newest checkpoint in `directory` that loads, its state, and the newer ones that did not.

    A run killed while the disk filled, or a copy cut short, can leave the newest file empty or
    truncated; resuming then falls back to the previous good epoch instead of failing or starting
    afresh. Each file skipped is logged. Path and state are None when no checkpoint loads.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return None, None, []
    found = sorted(((int(m.group(1)), p) for p in directory.iterdir() if (m := _EPOCH_FILE.match(p.name))),
                   reverse=True)
    unreadable: list[Path] = []
    for _, path in found:
        try:
            return path, load_checkpoint(path, map_location), unreadable
        except (ValueError, OSError) as err:  # OSError: removed meanwhile by another process
            log.warning("%s: falling back to the previous checkpoint, if any", err)
            unreadable.append(path)
    return None, None, unreadable


def prune_checkpoints(directory: str | Path, keep: int) -> None:
    """Delete all but the `keep` most recent epoch checkpoints."""
    found = sorted(
        (int(m.group(1)), p) for p in Path(directory).iterdir() if (m := _EPOCH_FILE.match(p.name))
    )
    for _, path in found[:-keep] if keep > 0 else found:
        path.unlink()
