"""Class names for annotation files that carry none: a label map beside them (mmaction2's
`label_map_*.txt`, one name per line in label order), stored in the pose file's meta."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def read_names(path: str | Path) -> list[str]:
    """The class names of a label map, one per line in label order (blank lines skipped)."""
    path = Path(path)
    try:
        names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot read class names ({error})") from None
    return names


def read_class_names(path: str | Path, poses: dict[str, Any]) -> list[str]:
    """The names in `path`, checked to give every clip's label of `poses` a name."""
    path = Path(path)
    names = read_names(path)
    top = max((int(clip["label"]) for clip in poses["annotations"]), default=-1)
    if top >= len(names):
        raise ValueError(f"{path}: {len(names)} class names, but clip labels go up to {top}")
    return names
