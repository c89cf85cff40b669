"""Shared fixtures: a tiny synthetic FineGYM analog as a real pose file."""

from __future__ import annotations

from pathlib import Path

import pytest

from posec3d.storage import save_poses
from posec3d.synth import generate, pose_source, synth_config


@pytest.fixture(scope="session")
def tiny_gym(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GT-2D poses of a 3-class gym analog, 12 clips per class, in the project's format."""
    cfg = synth_config("gym", num_classes=3, clips_per_class=12, length_median=40,
                       length_range=(20, 80), distractors=(0, 1))
    path = tmp_path_factory.mktemp("tiny_gym") / "poses.npz"
    save_poses(pose_source(generate(cfg, seed=0), "gt-2d"), path)
    return path
