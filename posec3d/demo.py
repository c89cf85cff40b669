"""`posec3d demo`: one video -> person boxes and poses -> a trained model's top classes, and the
video again with the skeletons and the predicted class drawn (as mmaction2's demo_skeleton.py).

The video goes through the same extraction as a dataset's (`posec3d.extract`: streamed, the
profile's person selection) and the same test pipeline as `posec3d test` (the run's input
settings, k clips), so that the demo sees what the benchmark measured.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from posec3d.skeleton import LIMBS

log = logging.getLogger("posec3d")

TOP = 5
DRAWN_SCORE = 0.3  # joints (and limbs between them) scoring less are not drawn
COLOURS = ((255, 64, 64), (64, 200, 255), (255, 200, 0), (120, 255, 120))  # RGB, one per person row


@dataclass(frozen=True)
class Estimators:
    """What the demo extracts with: estimator folders (or CONFIG.py:CHECKPOINT), box source, selection."""

    pose: str
    detector: str | None
    boxes: str
    options: dict[str, Any]


def estimators_of_run(model: Path, profile: dict[str, Any] | None, pose: str | None, detector: str | None,
                      boxes: str | None) -> Estimators:
    """The estimators a run's poses were extracted with (its folder runs/<dataset>/<poses>/<run>
    names the pose source, the profile its estimator, detector and person selection), each
    replaced by a flag that names it."""
    from posec3d import plan

    dataset, source = model.resolve().parent.parts[-3:-1]
    extracted = plan.extraction(profile, source) if profile else None
    options: dict[str, Any] = {}
    if profile:
        options = {**profile.get("extraction", {}), **profile["datasets"].get(dataset, {}).get("extraction", {})}
        options.pop("batch", None)
        options.pop("detector", None)
    boxes = boxes or (extracted.boxes if extracted else "detection")
    if boxes not in ("detection", "tracking"):
        raise ValueError(f"{model}: the run's poses {source!r} were extracted in {boxes} boxes, which a video of "
                         "your own does not have: give --boxes detection or tracking")
    if pose is None and extracted is None:
        raise ValueError(f"{model}: cannot tell which estimator made the run's poses {source!r} "
                         "(give --profile, or --pose)")
    if detector is None and profile:
        detector = str(Path(plan.estimator_files(profile["extraction"]["detector"])["config"]).parent)
    if detector is None:
        raise ValueError("give --detector, or --profile whose extraction names one")
    return Estimators(pose or str(Path(plan.estimator_files(extracted.estimator)["config"]).parent),
                      detector, boxes, options)


def single_clip(video: Path, box: list[float] | None = None) -> Any:
    """The clip of one video, probed as `posec3d index-videos` probes a dataset's."""
    from posec3d.extract.clips import ClipSet, ClipSource
    from posec3d.extract.video_list import probe_video

    info = probe_video(video)
    name = video.stem
    clip = ClipSource(name=name, path=video, height=info["height"], width=info["width"],
                      record={"frame_dir": name, "label": 0, "fps": info["fps"],
                              "original_shape": (info["height"], info["width"])},
                      declared=info["frames"], seeds=((0, np.asarray(box, np.float32)),) if box else ())
    return ClipSet([clip], {"demo": [name]})


def extract_video(video: Path, estimators: Estimators, box: list[float] | None, device: str,
                  batch: int = 64) -> dict[str, Any]:
    """The video's pose record, extracted as a dataset's clips are."""
    from posec3d.extract.commands import load_model, weights_digest
    from posec3d.extract.extract import Settings, extract_dataset
    from posec3d.extract.inference import PersonDetector, TopDownEstimator
    from posec3d.storage import load_poses

    clips = single_clip(video, box)
    model = load_model(estimators.pose, "pose", device)
    detector = PersonDetector(load_model(estimators.detector, "detector", device))
    names = {"score_threshold": "score_thr"}
    settings = Settings(boxes=estimators.boxes, estimator=estimators.pose, detector=estimators.detector,
                        weights=weights_digest([estimators.pose, estimators.detector]),
                        **{names.get(k, k): v for k, v in estimators.options.items()})
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "poses.npz"
        extract_dataset(clips, out, TopDownEstimator(model), settings, detector=detector, batch=batch)
        return load_poses(out)["annotations"][0]


def classify(record: dict[str, Any], model_path: Path, device: str = "cpu") -> list[tuple[str, float]]:
    """The top classes of a trained model on one clip's poses, with their scores (softmax averaged
    over the run's k test clips)."""
    from posec3d.config import RunConfig, from_dict
    from posec3d.data import ClipDataset, build_input
    from posec3d.engine.checkpoint import load_checkpoint
    from posec3d.engine.distributed import resolve_device
    from posec3d.engine.evaluate import predict
    from posec3d.models import MODELS, build_model

    state = load_checkpoint(model_path)
    cfg = from_dict(RunConfig, state["config"], f"{model_path}:config")
    classes = list(state["classes"])
    model = build_model(cfg.model_name, len(classes), **{"seed": cfg.seed, **cfg.model_kwargs})
    model.load_state_dict(state["model"])
    dev = resolve_device(device)
    model.to(dev)
    adapter = build_input(MODELS[cfg.model_name].input_kind, cfg.input)
    dataset = ClipDataset([record], adapter, test_mode=True, seed=cfg.seed, num_clips=cfg.test.num_clips,
                          source=str(model_path))
    scores, _ = predict(model, dataset, dev, batch_size=1)
    order = np.argsort(-scores[0], kind="stable")[:TOP]
    return [(classes[i], float(scores[0][i])) for i in order]


def draw_video(video: Path, record: dict[str, Any], top: list[tuple[str, float]], out: Path) -> None:
    """The video again, streamed, with each person row's skeleton and the top class drawn."""
    from posec3d.video.io import iter_video, video_info, video_writer

    fps = video_info(video).fps or 30.0
    keypoint, score = record["keypoint"], record["keypoint_score"]
    label = f"{top[0][0]} {top[0][1]:.2f}"
    with video_writer(out, fps, (record["img_shape"][0], record["img_shape"][1])) as write:
        t = 0
        for frames in iter_video(video, batch=16):
            for frame in frames:
                frame = np.ascontiguousarray(frame)
                if t < keypoint.shape[1]:
                    for m in range(keypoint.shape[0]):
                        _skeleton(frame, keypoint[m, t], score[m, t], COLOURS[m % len(COLOURS)])
                _caption(frame, label)
                write(frame)
                t += 1


def _skeleton(frame: np.ndarray, points: np.ndarray, scores: np.ndarray, colour: tuple[int, int, int]) -> None:
    import cv2

    thickness = max(1, frame.shape[0] // 240)
    for a, b in LIMBS:
        if scores[a] >= DRAWN_SCORE and scores[b] >= DRAWN_SCORE:
            cv2.line(frame, tuple(int(v) for v in points[a]), tuple(int(v) for v in points[b]), colour, thickness,
                     cv2.LINE_AA)
    for (x, y), s in zip(points, scores):
        if s >= DRAWN_SCORE:
            cv2.circle(frame, (int(x), int(y)), thickness + 1, colour, -1, cv2.LINE_AA)


def _caption(frame: np.ndarray, text: str) -> None:
    import cv2

    scale = max(0.4, frame.shape[0] / 720)
    origin = (int(10 * scale), int(30 * scale))
    cv2.putText(frame, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), int(4 * scale) + 1, cv2.LINE_AA)
    cv2.putText(frame, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), int(2 * scale) + 1,
                cv2.LINE_AA)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `demo` subcommand to the `posec3d` command's subparsers."""
    p = sub.add_parser("demo", help="one video: poses, a trained model's top-5 classes, and the video with the "
                       "skeletons and the predicted class drawn")
    p.add_argument("video", type=Path, help="a video (mp4, avi, mkv, webm, ...)")
    p.add_argument("--model", required=True, type=Path, help="a run's model.pt (runs/<dataset>/<poses>/<run>/)")
    p.add_argument("--profile", type=Path, default=Path("params/default.yaml"),
                   help="the profile the run was made with: its estimators and person selection "
                   "(default: params/default.yaml)")
    p.add_argument("--pose", default=None, metavar="DIR|CONFIG:CHECKPOINT",
                   help="pose estimator instead of the run's (a folder, or config.py:checkpoint path or URL)")
    p.add_argument("--detector", default=None, metavar="DIR|CONFIG:CHECKPOINT", help="person detector, as --pose")
    p.add_argument("--boxes", choices=("detection", "tracking"), default=None,
                   help="person boxes (default: the run's; tracking needs --box)")
    p.add_argument("--box", default=None, metavar="X1,Y1,X2,Y2", help="first-frame box of the person to track")
    p.add_argument("--out", type=Path, default=None, help="video to write (.mp4 or .avi; default: <video>_demo.mp4 "
                   "in the current folder)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    """Extract the video's poses, print the model's top-5 classes, draw them on the video."""
    from posec3d.config import read_mapping
    from posec3d.engine.launch import set_threads

    set_threads(args.threads)
    profile = read_mapping(args.profile) if args.profile.is_file() else None
    box = _parse_box(args.box) if args.box else None
    estimators = estimators_of_run(args.model, profile, args.pose, args.detector, "tracking" if box else args.boxes)
    if estimators.boxes == "tracking" and box is None:
        raise ValueError("tracking boxes follow a first-frame box: give --box X1,Y1,X2,Y2")
    with _stdout_to_stderr():  # OpenMMLab's loaders print; stdout holds the classes only
        record = extract_video(args.video, estimators, box, args.device)
        top = classify(record, args.model, args.device)
    for name, score in top:
        print(f"{score:.4f}  {name}")
    out = args.out or Path(f"{args.video.stem}_demo.mp4")
    draw_video(args.video, record, top, out)
    log.info("wrote %s", out)


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send whatever writes to standard output (file descriptor 1, Python or C) to standard error."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _parse_box(text: str) -> list[float]:
    try:
        box = [float(v) for v in text.split(",")]
    except ValueError:
        box = []
    if len(box) != 4 or not (box[2] > box[0] and box[3] > box[1]):
        raise ValueError(f"--box {text!r}: expected X1,Y1,X2,Y2 with X2 > X1 and Y2 > Y1")
    return box
