"""Keypoint AP of the embedded estimators against their training budget (issue 9, item 4).

Trains each kept estimator config (hq, lq, bu) from scratch at several iteration counts on the
default profile's frames folder (`snakemake --cores 2 data/estimators/frames`), each run with
its own full cosine schedule, and evaluates it with the project's own `evaluate_estimator`
(mmpose's CocoMetric, OKS keypoint AP on the held-out val frames, top-down in GT boxes):

    export PYTHONPATH=$PWD OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
    python benchmarks/study_estimators.py run hq 600 1500 3000
    python benchmarks/study_estimators.py run hq 1500 --set train_dataloader.batch_size=64 --tag b64
    python benchmarks/study_estimators.py frames --width 448      # the same frames, sharper video
    python benchmarks/study_estimators.py run hq 600 --frames lc/frames_w448/frames --tag w448
    python benchmarks/study_estimators.py collect > benchmarks/estimators_table.md

`frames --width W` re-renders only the clips that the profile's frames come from (the first
`max_clips` of each dataset's train and val split) at video width W and exports them as the
workflow's `estimator_frames` rule does, to `lc/frames_w<W>/frames`. Runs go to
`lc/estimators/<config>_i<iters>[_<tag>]/` (model.pth, config.py, train.log, metrics.json) and one
JSON row per run to `lc/results/estimators/`; all ignored by git.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from posec3d import plan
from posec3d.config import read_mapping
from posec3d.estimators.commands import parse_overrides
from posec3d.estimators.evaluate import evaluate_estimator
from posec3d.estimators.train import train_estimator

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "lc"
RESULTS = OUT / "results" / "estimators"
METRICS = ("AP", "AP50", "AP75", "AR", "AP_medium", "AP_large")  # AP_medium: COCO's 32^2-96^2 px persons


def trimmed_frames(width: int, profile: Path = ROOT / "params" / "default.yaml") -> Path:
    """Render the profile's frame clips at `width` and export them as a frames folder; returns it."""
    from posec3d.estimators.frames import FrameSource, export_frames
    from posec3d.storage import load_poses, save_poses
    from posec3d.video.render import render_dataset

    config = read_mapping(profile)
    spec = config["estimators"]["frames"]
    root = OUT / f"frames_w{width}"
    sources = []
    for name in spec["datasets"]:
        splits = config["datasets"][name]["splits"]
        scenes = load_poses(ROOT / plan.scenes_file(name))
        keep = {split: scenes["split"][splits[split]][: spec["max_clips"]] for split in ("train", "val")}
        wanted = set(keep["train"]) | set(keep["val"])
        trimmed = {**scenes, "split": {splits[s]: clips for s, clips in keep.items()},
                   "annotations": [c for c in scenes["annotations"] if c["frame_dir"] in wanted]}
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        save_poses(trimmed, folder / "scenes.npz")
        if not (folder / "videos" / "index.json").is_file():
            render_dataset(folder / "scenes.npz", folder / "videos", width, progress=True, workers=1)
        sources.append(FrameSource(folder / "scenes.npz", folder / "videos",
                                   train=[splits["train"]], val=[splits["val"]]))
    export_frames(sources, root / "frames", every=spec["every"], max_clips=spec["max_clips"], progress=True)
    return root / "frames"


def run(config: str, iters: int, frames: Path, overrides: dict, tag: str | None, threads: int) -> dict:
    """Train `config` for `iters` iterations, evaluate it, and write its result row."""
    import torch

    torch.set_num_threads(threads)
    name = f"{Path(config).stem}_i{iters}" + (f"_{tag}" if tag else "")  # a config file: its stem
    folder = OUT / "estimators" / name
    meta = train_estimator(config, frames, folder, iters=iters, overrides=overrides)
    metrics = evaluate_estimator(folder, frames)
    row = {"config": config, "tag": tag or "", "iters": iters, "overrides": overrides, "threads": threads,
           "train_s": meta["seconds"], "eval_s": metrics["seconds"], "images": metrics["images"],
           "name": name, **{k: metrics[k] for k in METRICS if k in metrics}}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(row, indent=1))
    return row


def collect() -> str:
    """A Markdown table of every result row, by config, tag and iterations."""
    rows = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]
    rows.sort(key=lambda r: (r["config"], r["tag"], r["iters"]))
    lines = ["| estimator | variant | iterations | train s (threads) | AP | AP50 | AP75 | AR | AP (M) | AP (L) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = " | ".join(f"{r[k]:.3f}" if k in r else "-" for k in METRICS)
        lines.append(f"| {Path(r['config']).stem} | {r['tag'] or 'kept config'} | {r['iters']} | "
                     f"{r['train_s']:.0f} ({r['threads']}) | {cells} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="train and evaluate one config at each iteration count")
    p.add_argument("config", help="kept estimator config (hq, lq, bu) or an mmengine config file")
    p.add_argument("iters", type=int, nargs="+")
    p.add_argument("--frames", type=Path, default=ROOT / plan.FRAMES_DIR)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--tag", default=None, help="names a variant given with --set")
    p.add_argument("--threads", type=int, default=1)
    p = sub.add_parser("frames", help="the profile's estimator frames at another video width")
    p.add_argument("--width", type=int, required=True)
    sub.add_parser("collect", help="print the Markdown table of all runs")
    args = parser.parse_args(argv)
    if args.command == "collect":
        print(collect())
        return 0
    if args.command == "frames":
        print(trimmed_frames(args.width))
        return 0
    for iters in args.iters:
        row = run(args.config, iters, args.frames, parse_overrides(args.overrides), args.tag, args.threads)
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
