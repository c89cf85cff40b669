"""The `posec3d extract` subcommand: rendered videos + trained estimators -> a pose file."""

from __future__ import annotations

import argparse
from pathlib import Path

from .boxes import SOURCES


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `extract` parser to the `posec3d` command's subparsers."""
    p = sub.add_parser("extract", help="extract poses from rendered videos with a detector and a pose "
                       "estimator (GT / Detection / Tracking boxes, or bottom-up), resumable per clip")
    p.add_argument("--scenes", required=True, type=Path, help="synthetic scene file (.npz)")
    p.add_argument("--videos", required=True, type=Path, help="rendered videos (with index.json)")
    p.add_argument("--pose", required=True, type=Path, help="pose estimator folder (config.py + model.pth)")
    p.add_argument("--detector", type=Path, default=None,
                   help="person detector folder, for detection and tracking boxes")
    p.add_argument("--boxes", required=True, choices=SOURCES,
                   help="person boxes: gt, detection, tracking; none for a bottom-up estimator")
    p.add_argument("--heatmaps", action="store_true",
                   help="also store the estimator's heatmaps and the frame region each covers")
    p.add_argument("--out", required=True, type=Path, help="pose file to write (.npz)")
    p.add_argument("--batch", type=int, default=64, help="person crops per pose forward")
    p.add_argument("--score-thr", type=float, default=0.5,
                   help="detection score that starts a track (detection, tracking, bottom-up persons)")
    p.add_argument("--max-persons", type=int, default=2, help="tracks kept per clip (detection, bottom-up)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--progress", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    """Load the estimators named by `args` and extract the dataset."""
    from posec3d.engine.launch import set_threads
    from posec3d.estimators.evaluate import estimator_files
    from posec3d.estimators.load import load_detector, load_pose_estimator

    from .extract import Settings, extract_dataset
    from .inference import BottomUpEstimator, PersonDetector, TopDownEstimator, is_bottom_up

    if args.batch < 1 or args.max_persons < 1:
        raise ValueError("--batch and --max-persons must be >= 1")
    set_threads(args.threads)
    model = load_pose_estimator(*estimator_files(args.pose), device=args.device)
    pose = BottomUpEstimator(model) if is_bottom_up(model) else TopDownEstimator(model, args.heatmaps)
    detector = None
    if args.boxes in ("detection", "tracking"):
        if args.detector is None:
            raise ValueError(f"--boxes {args.boxes} needs --detector")
        detector = PersonDetector(load_detector(*estimator_files(args.detector), device=args.device))
    settings = Settings(boxes=args.boxes, estimator=str(args.pose),
                        detector=str(args.detector) if detector is not None else None,
                        heatmaps=args.heatmaps, score_thr=args.score_thr, max_persons=args.max_persons)
    extract_dataset(args.scenes, args.videos, args.out, pose, settings, detector=detector,
                    batch=args.batch, progress=args.progress)
