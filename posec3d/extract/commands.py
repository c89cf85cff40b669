"""The extraction subcommands: `posec3d index-videos` (a user's videos and labels file -> a clips
file), `posec3d detect` (one detector pass over a dataset) and `posec3d extract` (videos + trained
estimators -> a pose file), for synthetic datasets (--scenes, --videos) and listed videos (--clips)."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

from . import DETECTOR_BOXES, SOURCES


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `index-videos`, `extract` and `detect` parsers to the `posec3d` command's subparsers."""
    p = sub.add_parser("index-videos", help="list a folder of videos and its labels file (CSV: video, label, "
                       "split; optional x1, y1, x2, y2, box_frame) as the clips file detect and extract read")
    p.add_argument("--videos", required=True, type=Path, help="folder of videos (mp4, avi, mkv, webm, ...)")
    p.add_argument("--labels", required=True, type=Path, help="labels file (CSV with a header)")
    p.add_argument("--splits", nargs="+", default=None, help="the split names the dataset uses (others are errors)")
    p.add_argument("--classes", type=Path, default=None, help="label map: class names, one per line in label order")
    p.add_argument("--out", required=True, type=Path, help="clips file to write (.json)")
    p.set_defaults(func=index)

    p = sub.add_parser("extract", help="extract poses from videos with a detector and a pose estimator "
                       "(GT / Detection / Tracking boxes, or bottom-up), streamed, resumable per clip")
    _add_clips(p)
    p.add_argument("--pose", required=True, metavar="DIR|CONFIG:CHECKPOINT",
                   help="pose estimator: a folder (config.py + model.pth, or estimator.json), or a "
                   "config file and a checkpoint path or URL joined by ':'")
    found = p.add_mutually_exclusive_group()
    found.add_argument("--detector", default=None, metavar="DIR|CONFIG:CHECKPOINT",
                       help="person detector, as --pose; for detection and tracking boxes")
    found.add_argument("--detections", default=None, type=Path,
                       help="the detections file of `posec3d detect`, instead of --detector")
    p.add_argument("--boxes", required=True, choices=SOURCES,
                   help="person boxes: gt, detection, tracking; none for a bottom-up estimator")
    p.add_argument("--heatmaps", action="store_true",
                   help="also store the estimator's heatmaps and the frame region each covers")
    p.add_argument("--out", required=True, type=Path, help="pose file to write (.npz)")
    p.add_argument("--batch", type=int, default=64, help="person crops per pose forward")
    p.add_argument("--score-threshold", type=float, default=0.5,
                   help="detection score that starts a track (detection, tracking, bottom-up persons)")
    p.add_argument("--max-persons", type=int, default=2, help="tracks kept per clip (detection, bottom-up)")
    p.add_argument("--min-area", type=float, default=0.0,
                   help="detection boxes smaller than this (square video pixels) are dropped")
    p.add_argument("--min-frames", type=int, default=1,
                   help="tracks seen in fewer frames are dropped (detection, bottom-up)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--progress", action="store_true")
    p.set_defaults(func=run)

    p = sub.add_parser("detect", help="run a person detector on every frame of a dataset's videos once, "
                       "for the extractions with detection and tracking boxes (--detections)")
    _add_clips(p)
    p.add_argument("--detector", required=True, metavar="DIR|CONFIG:CHECKPOINT", help="person detector, as --pose")
    p.add_argument("--out", required=True, type=Path, help="detections file to write (.npz)")
    p.add_argument("--batch", type=int, default=8, help="frames per detector forward")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--progress", action="store_true")
    p.set_defaults(func=detect)


def _add_clips(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenes", type=Path, default=None, help="synthetic dataset: its scene file (.npz)")
    p.add_argument("--videos", type=Path, default=None, help="synthetic dataset: its rendered videos (index.json)")
    p.add_argument("--clips", type=Path, default=None, help="listed videos: the clips file of `posec3d index-videos`")


def index(args: argparse.Namespace) -> None:
    """List a folder of videos and its labels file in a clips file."""
    from posec3d.storage.label_map import read_names

    from .video_list import index_videos

    classes = read_names(args.classes) if args.classes is not None else None
    index_videos(args.videos, args.labels, args.out, splits=args.splits, classes=classes)


def detect(args: argparse.Namespace) -> None:
    """Detect persons in every frame of the dataset's videos and store the boxes."""
    from posec3d.engine.launch import set_threads

    from .clips import load_clips
    from .detections import detect_dataset
    from .inference import PersonDetector

    if args.batch < 1:
        raise ValueError("--batch must be >= 1")
    clips = load_clips(args.scenes, args.videos, args.clips)
    set_threads(args.threads)
    detector = PersonDetector(load_model(args.detector, "detector", args.device))
    detect_dataset(clips, detector, args.out, weights_digest([args.detector]), batch=args.batch,
                   progress=args.progress)


def run(args: argparse.Namespace) -> None:
    """Load the estimators named by `args` and extract the dataset."""
    from posec3d.engine.launch import set_threads

    from .clips import load_clips
    from .detections import StoredDetections
    from .extract import Settings, extract_dataset
    from .inference import BottomUpEstimator, PersonDetector, TopDownEstimator, is_bottom_up

    if args.batch < 1 or args.max_persons < 1 or args.min_frames < 1:
        raise ValueError("--batch, --max-persons and --min-frames must be >= 1")
    clips = load_clips(args.scenes, args.videos, args.clips)
    set_threads(args.threads)
    model = load_model(args.pose, "pose", args.device)
    if model.cfg.get("default_scope") != "mmpose":
        raise ValueError(f"--pose {args.pose}: not an mmpose pose estimator")
    pose = BottomUpEstimator(model) if is_bottom_up(model) else TopDownEstimator(model, args.heatmaps)
    detector, detector_name, digest = None, None, weights_digest([args.pose])
    if args.boxes in DETECTOR_BOXES:
        if args.detections is not None:
            detector, detector_name = StoredDetections(args.detections), str(args.detections)
            digest = weights_digest([args.pose], extra=detector.weights)
        elif args.detector is not None:
            detector = PersonDetector(load_model(args.detector, "detector", args.device))
            detector_name, digest = args.detector, weights_digest([args.pose, args.detector])
        else:
            raise ValueError(f"--boxes {args.boxes} needs --detector or --detections")
    settings = Settings(boxes=args.boxes, estimator=args.pose, detector=detector_name,
                        heatmaps=args.heatmaps, score_thr=args.score_threshold, max_persons=args.max_persons,
                        min_area=args.min_area, min_frames=args.min_frames, weights=digest)
    extract_dataset(clips, args.out, pose, settings, detector=detector, batch=args.batch, progress=args.progress)


def _source(spec: str, kind: str) -> tuple[str, str]:
    """(config, checkpoint) of an estimator folder or of "config.py:checkpoint" (checkpoint path or URL)."""
    from posec3d.estimators.load import estimator_source

    if Path(spec).is_dir():
        return estimator_source(spec)
    config, sep, checkpoint = spec.partition(".py:")
    if not sep:
        raise ValueError(f"--{kind} {spec}: not an estimator folder, nor CONFIG.py:CHECKPOINT")
    return config + ".py", checkpoint


def load_model(spec: str, kind: str, device: str) -> Any:
    """A model from an estimator folder or from "config.py:checkpoint"."""
    from posec3d.estimators.load import load_detector, load_estimator, load_pose_estimator

    if Path(spec).is_dir():
        return load_estimator(spec, device=device)
    load = load_detector if kind == "detector" else load_pose_estimator
    return load(*_source(spec, kind), device=device)


def weights_digest(specs: list[str], extra: str = "") -> str:
    """A digest of the estimators' configs and checkpoints: their bytes where they are local files,
    their names where not (package configs, URLs), and `extra` (the digest of the detector behind
    stored detections). Extraction reuses a clip's part only under the same digest, so a retrained
    estimator at the same path recomputes every clip."""
    digest = hashlib.sha256(extra.encode())
    for spec in specs:
        for name in _source(spec, "pose"):
            path = Path(name)
            if not path.is_file():
                digest.update(f"name:{name}\n".encode())
                continue
            with open(path, "rb") as file:
                while chunk := file.read(1 << 20):
                    digest.update(chunk)
    return digest.hexdigest()
