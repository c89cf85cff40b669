"""Training loop: SGD with the run's recipe, a checkpoint per epoch, exact resumption.

A killed run resumes from its newest readable checkpoint (an empty or truncated newest one falls
back to the one before) and ends with the same weights as an uninterrupted one: the checkpoint
holds model, optimiser, schedule, AMP scaler and torch's RNG state, and all data randomness is a
function of (seed, epoch, clip index) (posec3d.data).
Under torchrun each process trains on its shard of every epoch (DistributedSampler); the
configured batch size is the global one.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from posec3d.atomic import write_json
from posec3d.config import RunConfig
from posec3d.engine.checkpoint import (
    epoch_checkpoint,
    newest_readable_checkpoint,
    prune_checkpoints,
    save_atomic,
)
from posec3d.engine.distributed import DistContext, describe_device, init_distributed
from posec3d.engine.evaluate import predict
from posec3d.engine.experiment import Experiment, load_experiment
from posec3d.engine.metrics import accuracy_metrics
from posec3d.engine.schedule import build_scheduler
from posec3d.plan import HISTORY

log = logging.getLogger("posec3d.train")

# Set to an epoch k, the process kills itself (SIGKILL, as the OOM killer or a lost node would)
# right after writing the checkpoint of epoch k: a crash at a known point, for the resume test.
KILL_AFTER_EPOCH_ENV = "POSEC3D_KILL_AFTER_EPOCH"

MODEL_FILE = "model.pt"
HISTORY_FILE = HISTORY  # the workflow names it (posec3d.plan)
CHECKPOINT_DIR = "checkpoints"


def train(
    cfg: RunConfig,
    poses: str | Path,
    out_dir: str | Path,
    *,
    device: str = "auto",
    progress: bool = False,
    keep_checkpoints: int = 2,
) -> list[dict[str, Any]]:
    """Train `cfg` on the pose file, resuming from `out_dir` if a run was cut short there.

    Writes `out_dir/checkpoints/epoch_NNN.pt` every epoch, `out_dir/history.json` (per-epoch
    metrics) and finally `out_dir/model.pt` (weights, config, class names, history).
    Returns the per-epoch history.
    """
    ctx = init_distributed(device)
    try:
        return _train(cfg, Path(poses), Path(out_dir), ctx, progress, keep_checkpoints)
    finally:
        ctx.close()


def _train(cfg: RunConfig, poses: Path, out: Path, ctx: DistContext, progress: bool,
           keep: int) -> list[dict[str, Any]]:
    torch.manual_seed(cfg.seed)
    exp = load_experiment(cfg, poses)
    model = exp.build_model().to(ctx.device)
    train_set = exp.split(cfg.data.train_split, test_mode=False, keypoint_drop=cfg.train.keypoint_drop)
    val_set = exp.split(cfg.data.val_split, test_mode=True)
    tc = cfg.train
    if tc.batch_size % ctx.world_size:
        raise ValueError(f"batch size {tc.batch_size} is not divisible by {ctx.world_size} processes")
    sampler = DistributedSampler(train_set, num_replicas=ctx.world_size, rank=ctx.rank,
                                 shuffle=True, seed=cfg.seed, drop_last=False)
    per_process = tc.batch_size // ctx.world_size
    steps_per_epoch = max(1, -(-len(sampler) // per_process))

    optimizer = torch.optim.SGD(model.parameters(), lr=tc.optimizer.lr,
                                momentum=tc.optimizer.momentum,
                                weight_decay=tc.optimizer.weight_decay,
                                nesterov=tc.optimizer.nesterov)
    scheduler = build_scheduler(optimizer, tc.schedule, steps_per_epoch, tc.epochs)
    amp = tc.amp and ctx.device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    history: list[dict[str, Any]] = []
    start_epoch = 0

    ckpt_dir = out / CHECKPOINT_DIR
    resume_from, state, unreadable = newest_readable_checkpoint(ckpt_dir, map_location=ctx.device)
    if ctx.is_main:
        for path in unreadable:  # removed, lest pruning keep them in place of good ones
            path.unlink(missing_ok=True)
    if state is not None and state.get("config") != cfg.to_dict():
        if ctx.is_main:
            log.info("checkpoints in %s are of another config: starting afresh", ckpt_dir)
            prune_checkpoints(ckpt_dir, keep=0)
        ctx.barrier()
        state = None
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["rng_cpu"])
        if ctx.device.type == "cuda" and "rng_cuda" in state:
            torch.cuda.set_rng_state(state["rng_cuda"], ctx.device)
        history = list(state["history"])
        start_epoch = int(state["epoch"])
        if ctx.is_main:
            log.info("resuming from %s (epoch %d of %d done)", resume_from, start_epoch, tc.epochs)

    net: nn.Module = DistributedDataParallel(model) if ctx.distributed else model
    if ctx.is_main:
        log.info("training %s on %s: %d train / %d val clips, %d classes, %d epochs, batch %d, "
                 "%d process(es) on %s", cfg.model_name, poses, len(train_set), len(val_set),
                 exp.num_classes, tc.epochs, tc.batch_size, ctx.world_size, ctx.device)

    for epoch in range(start_epoch, tc.epochs):
        sampler.set_epoch(epoch)
        train_set.set_epoch(epoch)
        loader = DataLoader(train_set, batch_size=per_process, sampler=sampler,
                            num_workers=tc.num_workers, collate_fn=train_set.collate,
                            pin_memory=ctx.device.type == "cuda")
        stats = _train_epoch(net, loader, exp, optimizer, scheduler, scaler, ctx, amp,
                             tc.clip_grad, progress and ctx.is_main, f"epoch {epoch + 1}")
        record: dict[str, Any] = {"epoch": epoch + 1, **stats}
        last = epoch + 1 == tc.epochs
        if ctx.is_main and ((epoch + 1) % tc.val_every == 0 or last):
            scores, labels = predict(model, val_set, ctx.device, cfg.test.batch_size,
                                     tc.num_workers, amp)
            metrics = accuracy_metrics(scores, labels, exp.num_classes)
            record.update(val_top1=metrics["top1"], val_mean_class_top1=metrics["mean_class_top1"])
        history.append(record)
        if ctx.is_main:
            log.info(_epoch_line(record, tc.epochs))
            state = {
                "config": cfg.to_dict(),
                "epoch": epoch + 1,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "scaler": scaler.state_dict(),
                "rng_cpu": torch.get_rng_state(),
                "history": history,
            }
            if ctx.device.type == "cuda":
                state["rng_cuda"] = torch.cuda.get_rng_state(ctx.device)
            save_atomic(state, epoch_checkpoint(ckpt_dir, epoch + 1))
            if os.environ.get(KILL_AFTER_EPOCH_ENV) == str(epoch + 1):
                os.kill(os.getpid(), signal.SIGKILL)
            prune_checkpoints(ckpt_dir, keep)
            write_json(out / HISTORY_FILE, history)
        ctx.barrier()

    if ctx.is_main:
        save_atomic({"model": model.state_dict(), "config": cfg.to_dict(), "classes": exp.classes,
                     "history": history}, out / MODEL_FILE)
        log.info("saved %s", out / MODEL_FILE)
    return history


def _train_epoch(net, loader, exp: Experiment, optimizer, scheduler, scaler, ctx: DistContext,
                 amp: bool, clip_grad: float | None, progress: bool, desc: str) -> dict[str, float]:
    """One pass over the loader; returns loss, accuracy, lr and where the time went."""
    net.train()
    loss_sum, correct, seen = 0.0, 0, 0
    wait = prep = 0.0
    start = tick = time.perf_counter()
    for batch, labels in tqdm(loader, desc=desc, disable=not progress, leave=False):
        t_loaded = time.perf_counter()
        labels = labels.to(ctx.device, non_blocking=True)
        x = exp.adapter.to_model(batch, ctx.device)
        t_ready = time.perf_counter()
        with torch.autocast(ctx.device.type, enabled=amp):
            logits = net(x)
            loss = nn.functional.cross_entropy(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if clip_grad:
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_(net.parameters(), clip_grad)
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        wait += t_loaded - tick
        prep += t_ready - t_loaded
        loss_sum += float(loss.detach()) * len(labels)
        correct += int((logits.detach().argmax(-1) == labels).sum())
        seen += len(labels)
        tick = time.perf_counter()
    total = time.perf_counter() - start
    return {
        "loss": loss_sum / max(seen, 1),
        "train_top1": 100.0 * correct / max(seen, 1),
        "lr": optimizer.param_groups[0]["lr"],
        "seconds": total,
        "clips": seen * ctx.world_size,  # the training clips of every process in `seconds`
        "machine": describe_device(ctx.device, ctx.world_size),
        "data_wait_fraction": wait / total if total else 0.0,
        "render_fraction": prep / total if total else 0.0,
    }


def _epoch_line(r: dict[str, Any], epochs: int) -> str:
    parts = [f"epoch {r['epoch']}/{epochs}", f"loss {r['loss']:.4f}",
             f"train_top1 {r['train_top1']:.1f}"]
    if "val_top1" in r:
        parts += [f"val_top1 {r['val_top1']:.1f}", f"val_mean_class {r['val_mean_class_top1']:.1f}"]
    parts += [f"lr {r['lr']:.2e}", f"{r['seconds']:.1f}s",
              f"data-wait {100 * r['data_wait_fraction']:.0f}%",
              f"render {100 * r['render_fraction']:.0f}%"]
    return "  ".join(parts)
