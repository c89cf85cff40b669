"""Does the data path starve the model? Share of a training step spent waiting for data.

Trains Pose-SlowOnly for one epoch on a synthetic FineGYM analog with the real engine and
reads the trainer's own per-epoch timing: `data-wait` is time blocked on the DataLoader
(sampling, cropping, augmentation in workers), `render` is batched heatmap rendering on the
training device; the rest is forward, backward and the optimiser step.

    .venv/bin/python benchmarks/bench_data_path.py [--sizes paper default] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import torch

from posec3d.config import load_run_config
from posec3d.engine.trainer import train
from posec3d.storage import save_poses
from posec3d.synth import generate, pose_source, synth_config

ROOT = Path(__file__).resolve().parents[1]

# name -> (model and input overrides, clips per class, batch size)
SIZES = {
    "paper": ({"model": {"base_channels": 32}, "input": {"clip_len": 48, "size": [56, 56]}}, 4, 8),
    "default": ({"model": {"base_channels": 8}, "input": {"clip_len": 12, "size": [32, 32]}}, 16, 16),
}


def measure(name: str, workers: int, poses: Path, tmp: Path) -> dict[str, float]:
    overrides, _, batch = SIZES[name]
    run = {**overrides,
           "train": {"epochs": 1, "batch_size": batch, "num_workers": workers, "val_every": 1},
           "data": {"train_split": "train", "val_split": "val"}}
    cfg = load_run_config([str(ROOT / "params/recipes/pose-slowonly.yaml"), json.dumps(run)])
    record = train(cfg, poses, tmp / name)[0]
    return {k: record[k] for k in ("seconds", "data_wait_fraction", "render_fraction")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{args.workers} DataLoader workers")
    print(f"{'size':8} {'steps':>5} {'s/step':>7} {'data-wait':>9} {'render':>7} {'compute':>8}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for name in args.sizes:
            clips = SIZES[name][1]
            cfg = synth_config("gym", num_classes=6, clips_per_class=clips)
            scenes = generate(cfg, seed=0)
            poses = tmp / f"{name}.npz"
            save_poses(pose_source(scenes, "gt-2d"), poses)
            steps = -(-len(scenes["split"]["train"]) // SIZES[name][2])
            r = measure(name, args.workers, poses, tmp)
            compute = 1 - r["data_wait_fraction"] - r["render_fraction"]
            print(f"{name:8} {steps:5d} {r['seconds'] / steps:7.2f} "
                  f"{100 * r['data_wait_fraction']:8.1f}% {100 * r['render_fraction']:6.1f}% "
                  f"{100 * compute:7.1f}%")


if __name__ == "__main__":
    main()
