"""Train one estimator (detector, top-down or bottom-up pose) with mmengine's Runner on CPU.

    train_estimator("hq", "data/estimators/frames", "data/estimators/hq", iters=600)

writes <out>/model.pth (weights and the dataset meta, nothing else), <out>/config.py (the
resolved config, data paths included, so `load.py` and `evaluate.py` need nothing more) and
<out>/train.log (mmengine's log: loss and learning rate every `log_interval` iterations).
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Any

from posec3d.atomic import atomic_path
from posec3d.estimators.folder import estimator_paths
from posec3d.estimators.runner import fresh_run, point_at_frames

log = logging.getLogger(__name__)

CONFIG_DIR = Path(__file__).parent / "configs"
CONFIGS = {"detector": "detector.py", "hq": "topdown_hq.py", "lq": "topdown_lq.py", "bu": "bottomup.py"}


def config_path(config: str | Path) -> Path:
    """A kept config by name (detector, hq, lq, bu) or a config file path."""
    if str(config) in CONFIGS:
        return CONFIG_DIR / CONFIGS[str(config)]
    path = Path(config)
    if not path.is_file():
        raise FileNotFoundError(f"estimator config {config}: no such file (kept configs: {sorted(CONFIGS)})")
    return path


def estimator_config(config: str | Path, frames: str | Path | None = None, iters: int | None = None,
                     overrides: dict[str, Any] | None = None, seed: int = 0,
                     log_interval: int | None = None) -> Any:
    """The mmengine Config of an estimator, with overrides applied and data pointed at `frames`.

    `overrides` maps mmengine cfg-options keys to values (e.g. {"train_dataloader.batch_size": 16,
    "model.backbone.base_channels": 8}); `iters` sets the training length, and the cosine phase of
    the schedule always ends at the last iteration.
    """
    from mmengine.config import Config

    cfg = Config.fromfile(str(config_path(config)))
    if overrides:
        cfg.merge_from_dict(dict(overrides))
    if iters is not None:
        if iters < 1:
            raise ValueError(f"estimator config {config}: iters must be >= 1, got {iters}")
        cfg.train_cfg.max_iters = int(iters)
    max_iters = cfg.train_cfg.max_iters
    cfg.train_cfg.val_interval = max_iters
    for sched in cfg.get("param_scheduler", []):
        if sched["type"] == "CosineAnnealingLR":
            sched["end"] = max_iters
        elif sched["type"] == "LinearLR":
            sched["end"] = min(sched["end"], max(1, max_iters // 5))
    if log_interval is not None:
        cfg.default_hooks.logger.interval = int(log_interval)
        cfg.log_processor.window_size = int(log_interval)
    cfg.randomness = dict(seed=int(seed), deterministic=False)
    if frames is not None:
        point_at_frames(cfg, Path(frames))
    return cfg


def train_estimator(config: str | Path, frames: str | Path, out: str | Path, iters: int | None = None,
                    overrides: dict[str, Any] | None = None, seed: int = 0,
                    log_interval: int = 50) -> dict[str, Any]:
    """Train from scratch and write out/{model.pth, config.py, train.log}; returns iters and seconds."""
    import torch
    from mmengine.runner import Runner

    out = Path(out)
    cfg = estimator_config(config, frames, iters, overrides, seed, log_interval)
    work = out / ".work"
    fresh_run(cfg, work, "train")
    for name in ("val_dataloader", "val_cfg", "val_evaluator"):
        cfg[name] = None  # evaluation is evaluate.py's job
    runner = Runner.from_cfg(cfg)
    start = time.time()  # wall clock, as the log's timestamps
    runner.train()
    seconds = time.time() - start
    model = runner.model.module if hasattr(runner.model, "module") else runner.model
    meta = {"iters": int(cfg.train_cfg.max_iters), "seed": int(seed), "seconds": round(seconds, 1)}
    if cfg.default_scope == "mmdet":
        meta["dataset_meta"] = {"classes": list(runner.train_dataloader.dataset.metainfo["classes"])}
    config_file, weights = estimator_paths(out)
    with atomic_path(weights) as tmp:
        torch.save({"state_dict": model.state_dict(), "meta": meta}, tmp)
    cfg.val_dataloader = cfg.test_dataloader
    cfg.val_cfg = dict(type="ValLoop")
    cfg.val_evaluator = cfg.test_evaluator
    cfg.work_dir = None
    cfg.pop("experiment_name")
    cfg.visualizer.name = "visualizer"
    with atomic_path(config_file) as tmp:
        cfg.dump(str(tmp))
    logs = sorted(work.glob("*/*.log"))
    if logs:
        with atomic_path(out / "train.log") as tmp:
            shutil.copyfile(logs[-1], tmp)
    shutil.rmtree(work, ignore_errors=True)
    log.info("trained %s for %d iterations in %.0f s -> %s", config, meta["iters"], seconds, out)
    return meta
