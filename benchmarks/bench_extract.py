"""Pose extraction speed on this CPU: frames per second of person detection and of pose estimation,
and how a run's time splits between decoding, detection, pose and writing.

Renders a few clips of a synthetic analog at the profile's video width, then runs
`posec3d.extract.extract_dataset` once per setting (high-quality top-down with GT, Detection and
Tracking boxes; low-quality top-down with GT boxes; heatmap storage; bottom-up). The estimators
are the project's kept configs (posec3d/estimators/configs), randomly initialised unless trained
ones are given: speed per frame and per crop does not depend on the weights, except for the
bottom-up grouping and the detector's NMS, which depend on how many candidates the heads find.

    .venv/bin/python benchmarks/bench_extract.py --threads 1 [--estimators data/estimators]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch

from posec3d.estimators.train import estimator_config
from posec3d.extract.clips import load_clips
from posec3d.extract.extract import Settings, extract_dataset
from posec3d.extract.inference import BottomUpEstimator, PersonDetector, TopDownEstimator
from posec3d.storage import save_poses
from posec3d.synth import generate, synth_config
from posec3d.video import render_dataset

# name -> (pose estimator, box source, heatmaps)
SETTINGS = {
    "hq-gt": ("hq", "gt", False),
    "hq-detection": ("hq", "detection", False),
    "hq-tracking": ("hq", "tracking", False),
    "lq-gt": ("lq", "gt", False),
    "hq-gt-heatmap": ("hq", "gt", True),
    "bu": ("bu", "none", False),
}


def _model(name: str, estimators: Path | None) -> torch.nn.Module:
    from mmdet.apis import init_detector
    from mmpose.apis import init_model

    init = init_detector if name == "detector" else init_model
    if estimators is not None:
        folder = estimators / name
        return init(str(folder / "config.py"), str(folder / "model.pth"), device="cpu")
    return init(estimator_config(name), None, device="cpu")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="gym")
    parser.add_argument("--clips", type=int, default=6, help="clips per class (2 classes)")
    parser.add_argument("--width", type=int, default=224)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--estimators", type=Path, default=None,
                        help="folder of trained estimators (detector, hq, lq, bu)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cfg = synth_config(args.dataset, num_classes=2, clips_per_class=args.clips)
        save_poses(generate(cfg, seed=0), tmp / "scenes.npz")
        render_dataset(tmp / "scenes.npz", tmp / "videos", width=args.width, seed=0)
        models = {name: _model(name, args.estimators) for name in ("detector", "hq", "lq", "bu")}
        detector = PersonDetector(models["detector"])
        print(f"torch {torch.__version__}, {args.threads} threads, {args.dataset} analog, "
              f"{2 * args.clips} clips, width {args.width}, crops per pose forward {args.batch}, "
              f"{'trained' if args.estimators else 'random'} estimators")
        print("| setting | frames | detection (frames/s) | pose (frames/s) | pose (crops/s) | "
              "decode | detect | pose | write |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for name in args.settings:
            estimator, boxes, heatmaps = SETTINGS[name]
            model = models[estimator]
            pose = BottomUpEstimator(model) if boxes == "none" else TopDownEstimator(model, heatmaps)
            settings = Settings(boxes=boxes, estimator=estimator, heatmaps=heatmaps)
            s = extract_dataset(load_clips(tmp / "scenes.npz", tmp / "videos"), tmp / f"{name}.npz", pose,
                                settings, detector=detector, batch=args.batch)
            total = sum(s.seconds.values())
            det_fps = f"{s.frames_detected / s.seconds['detect']:.1f}" if s.frames_detected else "-"
            crops = f"{s.crops_posed / s.seconds['pose']:.1f}" if s.crops_posed else "-"
            split = " | ".join(f"{100 * s.seconds[k] / total:.0f}%" for k in ("decode", "detect", "pose", "write"))
            print(f"| {name} | {s.frames_posed} | {det_fps} | {s.frames_posed / s.seconds['pose']:.1f} | "
                  f"{crops} | {split} |", flush=True)


if __name__ == "__main__":
    main()
