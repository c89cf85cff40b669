"""Testing a trained model: k-clip class scores for late fusion, and the paper's metrics."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from posec3d.config import RunConfig, from_dict
from posec3d.engine.checkpoint import load_checkpoint
from posec3d.engine.distributed import describe_device, resolve_device
from posec3d.engine.evaluate import predict
from posec3d.engine.experiment import load_experiment
from posec3d.engine.metrics import accuracy_metrics
from posec3d.engine.scores import ClassScores

log = logging.getLogger("posec3d.test")


def test(
    model_path: str | Path,
    poses: str | Path,
    *,
    num_clips: int | None = None,
    split: str | None = None,
    device: str = "auto",
    num_workers: int | None = None,
    progress: bool = False,
    keypoint_drop: float = 0.0,
) -> tuple[ClassScores, dict[str, Any]]:
    """Scores and metrics of the model in `model_path` on a split of `poses`.

    The run's config travels in the model file; `num_clips` and `split` default to its test
    settings (k clips per video, softmax averaged) and its validation split. The pose file may
    differ from the one trained on (cross-annotation testing, Figure 5). `num_workers`
    (DataLoader processes) defaults to the run's own `train.num_workers`, so a job given one
    thread does not fork loader processes the profile did not ask for. `keypoint_drop` tests
    on perturbed poses (Table 5): with probability p a frame loses one limb keypoint, the same
    drops for every model tested with the same seed.
    """
    state = load_checkpoint(model_path)
    cfg = from_dict(RunConfig, state["config"], f"{model_path}:config")
    exp = load_experiment(cfg, poses)
    if exp.num_classes != len(state["classes"]):
        raise ValueError(f"{poses}: {exp.num_classes} classes, but {model_path} was trained on "
                         f"{len(state['classes'])}")
    dev = resolve_device(device)
    model = exp.build_model()
    model.load_state_dict(state["model"])
    model.to(dev)
    split = split or cfg.data.val_split
    num_clips = num_clips or cfg.test.num_clips
    dataset = exp.split(split, test_mode=True, num_clips=num_clips, keypoint_drop=keypoint_drop)
    workers = cfg.train.num_workers if num_workers is None else num_workers
    log.info("testing %s on %s/%s: %d videos x %d clip(s), %d loader worker(s)", model_path, poses,
             split, len(dataset), num_clips, workers)
    start = time.perf_counter()
    scores, labels = predict(model, dataset, dev, cfg.test.batch_size, workers,
                             amp=cfg.train.amp, progress=progress)
    seconds = time.perf_counter() - start
    frame_dirs = [c["frame_dir"] for c in dataset.clips]
    metrics = accuracy_metrics(scores, labels, exp.num_classes)
    # inference speed, on the hardware named: clips (k per video) per second, input pipeline included
    metrics.update(num_clips=num_clips, split=split, keypoint_drop=keypoint_drop, seconds=seconds,
                   clips_per_second=len(dataset) * num_clips / seconds if seconds > 0 else None,
                   machine=describe_device(dev))
    log.info("top1 %.2f  mean_class_top1 %.2f  (%d clips)", metrics["top1"],
             metrics["mean_class_top1"], num_clips)
    return ClassScores(scores, labels, frame_dirs), metrics
