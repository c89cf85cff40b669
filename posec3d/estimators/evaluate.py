"""Evaluate a trained estimator on the val frames with mmdet's / mmpose's own CocoMetric.

The detector gets COCO box AP; the pose estimators get COCO keypoint AP (OKS, through
xtcocotools), top-down ones on the ground-truth person boxes, as the paper's Table 3b reports.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Any

from posec3d.atomic import write_json
from posec3d.estimators.folder import METRICS, estimator_files
from posec3d.estimators.runner import fresh_run, point_at_frames

log = logging.getLogger(__name__)

# Our names for the metrics each library reports.
_NAMES = {
    "mmdet": {"AP": "coco/bbox_mAP", "AP50": "coco/bbox_mAP_50", "AP75": "coco/bbox_mAP_75",
              "AP_small": "coco/bbox_mAP_s", "AP_medium": "coco/bbox_mAP_m", "AP_large": "coco/bbox_mAP_l"},
    "mmpose": {"AP": "coco/AP", "AP50": "coco/AP .5", "AP75": "coco/AP .75", "AR": "coco/AR",
               "AR50": "coco/AR .5", "AP_medium": "coco/AP (M)", "AP_large": "coco/AP (L)"},
}


def evaluate_estimator(estimator: str | Path, frames: str | Path | None = None,
                       out: str | Path | None = None, batch_size: int | None = None) -> dict[str, Any]:
    """COCO AP of an estimator folder on `frames`/val.json (default: the frames it was trained on).

    Returns (and writes to `out`, default <estimator>/metrics.json) {"kind", "AP", "AP50", ...,
    "images", "seconds", "raw"}; APs are fractions in [0, 1].
    """
    from mmengine.config import Config
    from mmengine.runner import Runner

    config, checkpoint = estimator_files(estimator)
    cfg = Config.fromfile(str(config))
    if frames is not None:
        point_at_frames(cfg, Path(frames))
    if batch_size is not None:
        cfg.test_dataloader.batch_size = int(batch_size)
    work = Path(estimator) / ".eval"
    fresh_run(cfg, work, "eval")
    cfg.load_from = str(checkpoint)
    for name in ("train_dataloader", "train_cfg", "optim_wrapper", "param_scheduler",
                 "val_dataloader", "val_cfg", "val_evaluator"):
        cfg[name] = None
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    raw = runner.test()
    seconds = time.perf_counter() - start
    shutil.rmtree(work, ignore_errors=True)
    scope = cfg.default_scope
    metrics: dict[str, Any] = {"kind": "box" if scope == "mmdet" else "keypoint"}
    # COCO reports -1 for an area range with no objects: left out rather than mistaken for an AP.
    metrics.update({ours: round(float(raw[theirs]), 4)
                    for ours, theirs in _NAMES[scope].items() if float(raw.get(theirs, -1)) >= 0})
    metrics.update(images=len(runner.test_dataloader.dataset), seconds=round(seconds, 1),
                   raw={k: float(v) for k, v in raw.items()})
    write_json(Path(out) if out is not None else Path(estimator) / METRICS, metrics)
    log.info("%s: %s AP %.3f AP50 %.3f (%d samples, %.0f s)", estimator, metrics["kind"],
             metrics.get("AP", float("nan")), metrics.get("AP50", float("nan")), metrics["images"], seconds)
    return metrics
