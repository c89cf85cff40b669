"""Selecting the clips of a named split (xsub_train, test1, ...)."""

from __future__ import annotations

from typing import Any

from .errors import PoseFileError


def split_clips(dataset: dict[str, Any], split: str, source: str = "pose dataset") -> list[dict[str, Any]]:
    """The clips of `split`, in the split's order (a loaded dataset names only existing clips).

    `source` names the pose file in errors.
    """
    splits = dataset["split"]
    if split not in splits:
        known = ", ".join(map(repr, splits)) or "none"
        raise PoseFileError(f"{source}: unknown split {split!r}; known splits: {known}")
    by_frame_dir = {clip["frame_dir"]: clip for clip in dataset["annotations"]}
    missing = [entry for entry in splits[split] if entry not in by_frame_dir]
    if missing:
        raise PoseFileError(
            f"{source}: split {split!r} names clip {missing[0]!r}, which is not in the annotations"
        )
    return [by_frame_dir[entry] for entry in splits[split]]
