"""CLI subcommands of the estimators: `posec3d frames`, `train-estimator`, `eval-estimator`."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from posec3d.config import split_assignment

log = logging.getLogger("posec3d")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the estimator subcommands to the `posec3d` parser."""
    p = sub.add_parser("frames", help="export rendered frames + ground truth as a COCO keypoint set")
    p.add_argument("--dataset", action="append", required=True, metavar="DIR:TRAIN[,..]:VAL[,..]",
                   help="dataset folder with scenes.npz and videos/, its train and val splits, "
                        "e.g. data/ntu60:xsub_train:xsub_val (repeatable)")
    p.add_argument("--out", required=True, type=Path, help="frames folder (images/, train.json, val.json)")
    p.add_argument("--every", type=int, default=8, help="take every k-th frame of a clip")
    p.add_argument("--max-clips", type=int, default=None, help="at most this many clips per dataset and part")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--progress", action="store_true")
    p.set_defaults(func=_frames)

    p = sub.add_parser("train-estimator", help="train a detector or pose estimator on a frames folder")
    p.add_argument("config", help="kept config (detector, hq, lq, bu) or an mmengine config file")
    p.add_argument("--frames", type=Path, default=None, help="frames folder to train on")
    p.add_argument("--checkpoint", default=None,
                   help="trained weights (path or URL): store them with the config, do not train")
    p.add_argument("--out", required=True, type=Path, help="estimator folder (model.pth, config.py, train.log)")
    p.add_argument("--iters", type=int, default=None, help="training iterations (default: the config's)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="mmengine cfg-option, e.g. train_dataloader.batch_size=16 (repeatable)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-interval", type=int, default=50)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--evaluate", action="store_true", help="then write <out>/metrics.json")
    p.set_defaults(func=_train)

    p = sub.add_parser("eval-estimator", help="COCO box / keypoint AP of an estimator on val frames")
    p.add_argument("--estimator", required=True, type=Path, help="folder with config.py and model.pth")
    p.add_argument("--frames", type=Path, default=None, help="frames folder (default: the training one)")
    p.add_argument("--out", type=Path, default=None, help="metrics file (default: <estimator>/metrics.json)")
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(func=_evaluate)


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """KEY=VALUE strings as mmengine cfg-options: dotted keys kept flat, values parsed as YAML."""
    return dict(split_assignment(pair) for pair in pairs)


def _threads(n: int | None) -> None:
    if n is not None:
        import torch

        torch.set_num_threads(n)


def _frames(args: argparse.Namespace) -> None:
    from posec3d.estimators.frames import FrameSource, export_frames

    sources = []
    for spec in args.dataset:
        parts = spec.split(":")
        if len(parts) != 3:
            raise ValueError(f"--dataset {spec!r}: expected DIR:TRAIN_SPLITS:VAL_SPLITS")
        folder = Path(parts[0])
        sources.append(FrameSource(folder / "scenes.npz", folder / "videos",
                                   train=[s for s in parts[1].split(",") if s],
                                   val=[s for s in parts[2].split(",") if s]))
    counts = export_frames(sources, args.out, every=args.every, seed=args.seed,
                           max_clips=args.max_clips, progress=args.progress)
    log.info("wrote %s: %d train, %d val images", args.out, counts["train"], counts["val"])


def _train(args: argparse.Namespace) -> None:
    from posec3d.estimators.evaluate import evaluate_estimator
    from posec3d.estimators.train import config_path, train_estimator

    if args.checkpoint is not None:
        from posec3d.estimators.load import obtain_estimator

        package_config = "::" in args.config  # e.g. mmpose::body_2d_keypoint/...
        obtain_estimator(args.config if package_config else config_path(args.config), args.checkpoint, args.out)
        return
    if args.frames is None:
        raise ValueError("train-estimator: give --frames to train on, or --checkpoint of trained weights")
    _threads(args.threads)
    train_estimator(args.config, args.frames, args.out, iters=args.iters,
                    overrides=parse_overrides(args.overrides), seed=args.seed,
                    log_interval=args.log_interval)
    if args.evaluate:
        evaluate_estimator(args.out)


def _evaluate(args: argparse.Namespace) -> None:
    from posec3d.estimators.evaluate import evaluate_estimator

    _threads(args.threads)
    evaluate_estimator(args.estimator, args.frames, args.out)
