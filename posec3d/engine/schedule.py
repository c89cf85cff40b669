"""Learning-rate schedules stepped per iteration: cosine (PoseC3D) and multi-step (MS-G3D)."""

from __future__ import annotations

import math

import torch

from posec3d.config import ScheduleConfig


def lr_factor(cfg: ScheduleConfig, step: int, steps_per_epoch: int, epochs: int) -> float:
    """The multiplier of the base learning rate at iteration `step` (0-based)."""
    epoch = step / steps_per_epoch
    if cfg.warmup_epochs > 0 and epoch < cfg.warmup_epochs:
        return (step + 1) / (cfg.warmup_epochs * steps_per_epoch)
    if cfg.kind == "cosine":
        total = epochs * steps_per_epoch
        return 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total))
    passed = sum(1 for m in cfg.milestones if epoch >= m)
    return cfg.gamma**passed


def build_scheduler(
    optimizer: torch.optim.Optimizer, cfg: ScheduleConfig, steps_per_epoch: int, epochs: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """A LambdaLR whose state (the step count) travels with checkpoints."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(cfg, step, steps_per_epoch, epochs)
    )
