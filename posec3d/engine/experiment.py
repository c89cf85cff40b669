"""What a run is made of once its config meets a pose file: model, input adapter, splits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from posec3d.config import RunConfig
from posec3d.data import ClipDataset, InputAdapter, build_input
from posec3d.label_flip import flip_label_map
from posec3d.models import MODELS, build_model
from posec3d.storage import load_poses, split_clips


@dataclass
class Experiment:
    """A run config bound to a loaded pose dataset."""

    cfg: RunConfig
    poses: dict[str, Any]
    classes: list[str]
    adapter: InputAdapter
    source: str  # the pose file, named in errors

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def build_model(self) -> nn.Module:
        """The run's model; its initial weights come from the run's seed."""
        kwargs = {"seed": self.cfg.seed, **self.cfg.model_kwargs}
        return build_model(self.cfg.model_name, self.num_classes, **kwargs)

    def split(self, name: str, *, test_mode: bool, num_clips: int = 1, keypoint_drop: float = 0.0) -> ClipDataset:
        """A split's clips; a training split of side-specific classes (Volleyball) flips clips
        with their labels."""
        return ClipDataset(split_clips(self.poses, name, self.source), self.adapter, test_mode=test_mode,
                           seed=self.cfg.seed, num_clips=num_clips, source=self.source,
                           keypoint_drop=keypoint_drop,
                           label_flip=None if test_mode else flip_label_map(self.classes))


def class_names(poses: dict[str, Any]) -> list[str]:
    """Class names from the file's meta, else 'class_<i>' up to the largest label."""
    names = poses.get("meta", {}).get("classes")
    if names:
        return [str(n) for n in names]
    top = max(int(clip["label"]) for clip in poses["annotations"])
    return [f"class_{i}" for i in range(top + 1)]


def load_experiment(cfg: RunConfig, poses_path: str | Path) -> Experiment:
    """Load the pose file and set up the input pipeline the config's model needs."""
    if cfg.model_name not in MODELS:
        raise ValueError(f"unknown model {cfg.model_name!r}; registered: {sorted(MODELS)}")
    poses = load_poses(poses_path)
    adapter = build_input(MODELS[cfg.model_name].input_kind, cfg.input)
    return Experiment(cfg, poses, class_names(poses), adapter, str(poses_path))
