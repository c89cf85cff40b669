"""mmengine Runner set-up shared by estimator training and evaluation."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any


def point_at_frames(cfg: Any, frames: Path) -> None:
    """Point a config's train / val / test data and evaluators at a COCO frames folder."""
    for part, loaders in (("train", ["train_dataloader"]), ("val", ["val_dataloader", "test_dataloader"])):
        for name in loaders:
            dataset = cfg[name].dataset
            dataset.data_root = str(frames)
            dataset.ann_file = f"{part}.json"
            dataset.data_prefix = dict(img="images/")
    for name in ("val_evaluator", "test_evaluator"):
        cfg[name].ann_file = str(frames / "val.json")
    for part in ("train", "val"):
        if not (frames / f"{part}.json").is_file():
            raise FileNotFoundError(f"estimator frames {frames}: missing {part}.json (run `posec3d frames`)")


def fresh_run(cfg: Any, work_dir: Path, tag: str) -> None:
    """Give a Runner its own work dir, logger and visualizer: mmengine keeps both as named
    process-wide instances, and a second run under the same name would write to the first's dir."""
    shutil.rmtree(work_dir, ignore_errors=True)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f"{tag}-{uuid.uuid4().hex[:8]}"
    cfg.visualizer.name = cfg.experiment_name
