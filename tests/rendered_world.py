"""A small synthetic gym analog rendered to video, for the tests that decode or extract from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from posec3d.storage import save_poses
from posec3d.synth import generate, synth_config
from posec3d.video import render_dataset


def render_gym(root: Path, width: int, **fields: Any) -> None:
    """Gym scenes (seed 0, preset fields overridden) in root/scenes.npz, rendered to root/videos."""
    save_poses(generate(synth_config("gym", **fields), seed=0), root / "scenes.npz")
    render_dataset(root / "scenes.npz", root / "videos", width=width, seed=0)
