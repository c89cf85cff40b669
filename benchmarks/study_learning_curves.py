"""Learning curves of Pose-SlowOnly and MS-G3D on the synthetic gym / NTU-60 analogs (issue 9, item 3).

Isolates data size from pose quality: every run trains on the scenes' own 2D joints (pose source
`gt-2d`), so no video is rendered and no pose is extracted. A run is (analog, clips per class,
model, epochs); its config is the default profile's, resolved by `posec3d.plan.run_config`
exactly as the workflow resolves it, with only `clips_per_class` of the analog (and, where asked,
the epoch budget, the schedule's milestones scaled with it, and `val_every`) changed.

    export PYTHONPATH=$PWD OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
    python benchmarks/study_learning_curves.py run gym 120 msg3d              # default epochs
    python benchmarks/study_learning_curves.py run gym 120 msg3d --epochs 24  # scaled schedule
    python benchmarks/study_learning_curves.py collect                        # table + PNG

Files (all under `lc/`, ignored by git): `lc/data/<analog>_c<N>/{scenes,gt-2d}.npz`,
`lc/runs/<analog>_c<N>/<model>_e<E>/` (the trainer's run folder, `history.json`) and
`lc/results/<analog>_c<N>_<model>_e<E>.json` (one row of the table).
Training uses one CPU thread (`posec3d train --threads 1`); testing runs in-process with one
thread and no loader workers.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from posec3d import plan
from posec3d.config import merge, read_mapping

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "lc"
PROFILE = ROOT / "params" / "default.yaml"
SOURCE = "gt-2d"
BIN = Path(sys.executable).parent


def profile_with(clips_per_class: int, dataset: str, profile: Path = PROFILE) -> dict[str, Any]:
    """The default profile with `clips_per_class` of `dataset`'s synthetic analog replaced."""
    config = copy.deepcopy(read_mapping(profile))
    config["datasets"][dataset]["synth"]["set"]["clips_per_class"] = clips_per_class
    return config


def data_dir(dataset: str, clips_per_class: int) -> Path:
    """Where the scenes and gt-2d poses of one analog size live."""
    return OUT / "data" / f"{dataset}_c{clips_per_class}"


def make_poses(config: dict[str, Any], dataset: str, clips_per_class: int) -> Path:
    """Generate the analog's scenes and gt-2d pose file with the `posec3d` CLI (as the workflow's
    synth_scenes and poses rules do), unless present; returns the pose file."""
    folder = data_dir(dataset, clips_per_class)
    folder.mkdir(parents=True, exist_ok=True)
    scenes, poses = folder / "scenes.npz", folder / f"{SOURCE}.npz"
    synth = config["datasets"][dataset]["synth"]
    if not scenes.is_file():
        sets = [a for k, v in sorted(synth.get("set", {}).items())
                for a in ("--set", f"{k}={json.dumps(v)}")]
        _call([str(BIN / "posec3d"), "synth", synth["preset"], "--seed", str(synth.get("seed", 0)),
               *sets, "--out", str(scenes)])
    if not poses.is_file():
        _call([str(BIN / "posec3d"), "poses", "--input", str(scenes), "--source", SOURCE,
               "--out", str(poses)])
    return poses


def resolved_config(config: dict[str, Any], dataset: str, model: str, epochs: int | None,
                    val_every: int | None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The run config the workflow would train, with the epoch budget (step milestones scaled
    in proportion), the validation interval and any run-config `overrides` (an ablation)
    optionally changed."""
    run = plan.Run(dataset=dataset, poses=SOURCE, model=model, modality="joint",
                   sampling=plan.UNIFORM, seed=int(config["seed"]))
    cfg = plan.run_config(config, run)
    train = cfg["train"]
    if epochs is not None and epochs != train["epochs"]:
        schedule = train.get("schedule", {})
        if schedule.get("kind") == "step":
            scaled = [max(1, round(m * epochs / train["epochs"])) for m in schedule["milestones"]]
            cfg = merge(cfg, {"train": {"schedule": {"milestones": scaled}}})
        cfg = merge(cfg, {"train": {"epochs": epochs}})
    if val_every is not None:
        cfg = merge(cfg, {"train": {"val_every": val_every}})
    return merge(cfg, overrides or {})


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """`train.optimizer.lr=0.025`-style dotted keys with JSON values, as one nested mapping."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = json.loads(value)
    return out


def run_one(dataset: str, clips_per_class: int, model: str, epochs: int | None = None,
            val_every: int | None = None, test_clips: tuple[int, ...] = (1,),
            overrides: dict[str, Any] | None = None, tag: str = "") -> dict[str, Any]:
    """Train (one thread) and test one run; writes and returns its result row. An ablation
    (`overrides` of the run config) is told apart by its `tag` in the run's name."""
    config = profile_with(clips_per_class, dataset)
    poses = make_poses(config, dataset, clips_per_class)
    cfg = resolved_config(config, dataset, model, epochs, val_every, overrides)
    epochs = cfg["train"]["epochs"]
    variant = f"{model}_e{epochs}" + (f"_{tag}" if tag else "")
    name = f"{dataset}_c{clips_per_class}_{variant}"
    folder = OUT / "runs" / f"{dataset}_c{clips_per_class}" / variant
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    _call([str(BIN / "posec3d"), "train", "--config", json.dumps(cfg), "--poses", str(poses),
           "--out", str(folder), "--threads", "1"], log=folder / "train.log")
    wall = time.perf_counter() - start
    history = json.loads((folder / "history.json").read_text())
    row: dict[str, Any] = {
        "name": name, "tag": tag, "overrides": overrides or {},
        "dataset": dataset, "clips_per_class": clips_per_class, "model": model,
        "epochs": epochs, "milestones": cfg["train"].get("schedule", {}).get("milestones"),
        "train_wall_s": wall, "train_epoch_s": sum(h["seconds"] for h in history),
        "history": [{k: h[k] for k in ("epoch", "loss", "train_top1", "seconds", "val_top1",
                                       "val_mean_class_top1") if k in h} for h in history],
        "metric": config["datasets"][dataset]["metric"],
    }
    row.update(_split_sizes(poses, cfg))
    for k in test_clips:
        start = time.perf_counter()
        metrics = test_run(folder / "model.pt", poses, k)
        row[f"test_{k}clip"] = {"top1": metrics["top1"], "mean_class_top1": metrics["mean_class_top1"],
                                "seconds": time.perf_counter() - start}
    (OUT / "results").mkdir(parents=True, exist_ok=True)
    (OUT / "results" / f"{name}.json").write_text(json.dumps(row, indent=1))
    return row


def test_run(model_file: Path, poses: Path, clips: int) -> dict[str, Any]:
    """k-clip test of a trained run on its val split, one thread, no loader workers."""
    import torch

    from posec3d.engine.tester import test

    torch.set_num_threads(1)
    _, metrics = test(model_file, poses, num_clips=clips, device="cpu", num_workers=0)
    return metrics


def _split_sizes(poses: Path, cfg: dict[str, Any]) -> dict[str, int]:
    """Train and val clip counts of the run's splits."""
    from posec3d.storage import load_poses

    data = load_poses(poses)
    return {"train_clips": len(data["split"][cfg["data"]["train_split"]]),
            "val_clips": len(data["split"][cfg["data"]["val_split"]])}


def _call(argv: list[str], log: Path | None = None) -> None:
    """Run a command with one BLAS/OpenMP thread; its output to `log` (or ours)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYTHONPATH": str(ROOT)}
    print("+", shlex.join(argv)[:300], flush=True)
    if log is None:
        subprocess.run(argv, check=True, env=env)
    else:
        with open(log, "w") as f:
            subprocess.run(argv, check=True, env=env, stdout=f, stderr=subprocess.STDOUT)


def load_results() -> list[dict[str, Any]]:
    """Every result row under lc/results, sorted by model, analog, size, epochs."""
    rows = [json.loads(p.read_text()) for p in sorted((OUT / "results").glob("*.json"))]
    return sorted(rows, key=lambda r: (r["dataset"], r["model"], r["clips_per_class"], r["epochs"]))


def table_markdown(rows: list[dict[str, Any]]) -> str:
    """The runs as a Markdown table (accuracies in %, times in seconds on one thread)."""
    head = ("| analog | model | clips/class | train | val | epochs | train s (1 thread) | s/epoch "
            "| 1-clip top1 | 1-clip mean-class | 10-clip top1 | 10-clip mean-class | best val (epoch) |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        t1, t10 = r.get("test_1clip", {}), r.get("test_10clip", {})
        vals = [(h["val_top1"] if r["metric"] == "top1" else h["val_mean_class_top1"], h["epoch"])
                for h in r["history"] if "val_top1" in h]
        best = max(vals) if vals else None
        f = lambda d, k: f"{d[k]:.1f}" if k in d else "-"  # noqa: E731
        lines.append(
            f"| {r['dataset']} | {r['model']}{' ' + r['tag'] if r.get('tag') else ''} | "
            f"{r['clips_per_class']} | {r['train_clips']} | "
            f"{r['val_clips']} | {r['epochs']} | {r['train_epoch_s']:.0f} | "
            f"{r['train_epoch_s'] / r['epochs']:.1f} | {f(t1, 'top1')} | {f(t1, 'mean_class_top1')} | "
            f"{f(t10, 'top1')} | {f(t10, 'mean_class_top1')} | "
            f"{'-' if best is None else f'{best[0]:.1f} ({best[1]})'} |")
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    """Two panels: the dataset's metric (val) vs epoch for each run with a curve, and the final
    1-clip metric vs clips per class (each point labelled with its epoch budget); one line per
    model x analog. Solid curves: the profile's epoch budget; dashed: a reduced one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    config = read_mapping(PROFILE)
    default_epochs = {m: config["models"][m]["set"]["train"]["epochs"] for m in config["models"]}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5))
    colours = {("gym", "pose-slowonly"): "C0", ("gym", "msg3d"): "C1",
               ("ntu60", "pose-slowonly"): "C2", ("ntu60", "msg3d"): "C3"}
    for r in rows:
        key = "val_top1" if r["metric"] == "top1" else "val_mean_class_top1"
        pts = [(h["epoch"], h[key]) for h in r["history"] if key in h]
        if len(pts) < 2:
            continue
        style = "-" if r["epochs"] == default_epochs[r["model"]] else "--"
        ax1.plot(*zip(*pts), style, marker=".", color=colours.get((r["dataset"], r["model"])),
                 label=f"{r['dataset']} {r['model']} c{r['clips_per_class']} e{r['epochs']}",
                 alpha=0.4 + 0.6 * min(r["clips_per_class"], 120) / 120)
    ax1.set(xlabel="epoch", ylabel="val accuracy (analog's metric, 1 clip) %",
            title="accuracy vs epochs (gt-2d poses)")
    ax1.axhline(85, color="grey", lw=0.8, ls=":")
    ax1.legend(fontsize=6)
    for (dataset, model), colour in colours.items():
        pts = sorted((r["clips_per_class"], r["test_1clip"]["top1" if r["metric"] == "top1"
                                                            else "mean_class_top1"], r["epochs"])
                     for r in rows if r["dataset"] == dataset and r["model"] == model
                     and "test_1clip" in r)
        if pts:
            ax2.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", color=colour,
                     label=f"{dataset} {model}")
            for x, y, e in pts:  # the epoch budget of each point (reduced ones differ)
                ax2.annotate(f"e{e}", (x, y), textcoords="offset points", xytext=(4, 4),
                             fontsize=7, color=colour)
    ax2.set(xscale="log", xlabel="clips per class (20 classes)", ylabel="val accuracy % (1 clip)",
            title="accuracy vs clips per class (labels: epochs)")
    ax2.axhline(85, color="grey", lw=0.8, ls=":")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    """`run ANALOG CLIPS_PER_CLASS MODEL [--epochs E] [--val-every K] [--clips 1 10]` or `collect`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run")
    p.add_argument("dataset", choices=["gym", "ntu60", "ntu120", "k400"])
    p.add_argument("clips_per_class", type=int)
    p.add_argument("model", choices=["pose-slowonly", "msg3d"])
    p.add_argument("--epochs", type=int, default=None, help="default: the profile's")
    p.add_argument("--val-every", type=int, default=None)
    p.add_argument("--clips", type=int, nargs="+", default=[1], help="test clips (k) to evaluate")
    p.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                   help="an ablation: override a run-config key, e.g. train.optimizer.lr=0.025")
    p.add_argument("--tag", default="", help="the ablation's name (required with --set)")
    c = sub.add_parser("collect")
    c.add_argument("--png", default=str(ROOT / "benchmarks" / "learning_curves.png"))
    args = parser.parse_args(argv)
    if args.command == "run":
        if args.set and not args.tag:
            parser.error("--set needs --tag (the ablation's name)")
        row = run_one(args.dataset, args.clips_per_class, args.model, args.epochs, args.val_every,
                      tuple(args.clips), parse_overrides(args.set), args.tag)
        print(json.dumps({k: v for k, v in row.items() if k != "history"}, indent=1))
    else:
        rows = load_results()
        print(table_markdown(rows))
        plot(rows, Path(args.png))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
