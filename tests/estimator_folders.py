"""Estimator folders as `posec3d train-estimator` writes them (config.py + model.pth), made from
tiny randomly initialised models of the kept configs: what tests extract with where no trained
checkpoint exists."""

from __future__ import annotations

from pathlib import Path

import torch


def save_estimator(model: torch.nn.Module, folder: Path) -> Path:
    """An mmdet/mmpose model saved as an estimator folder (its config and an mmengine checkpoint)."""
    folder.mkdir(parents=True)
    model.cfg.dump(str(folder / "config.py"))
    meta = {"dataset_meta": {"classes": ["person"]}} if model.cfg.default_scope == "mmdet" else {}
    torch.save({"state_dict": model.state_dict(), "meta": meta}, folder / "model.pth")
    return folder


def random_estimator(name: str, folder: Path, seed: int = 0) -> Path:
    """A kept config's model (detector, hq, lq, bu) with random weights, saved as an estimator folder."""
    from mmdet.apis import init_detector
    from mmpose.apis import init_model

    from posec3d.estimators.train import estimator_config

    torch.manual_seed(seed)
    init = init_detector if name == "detector" else init_model
    return save_estimator(init(estimator_config(name), None, device="cpu"), folder)
