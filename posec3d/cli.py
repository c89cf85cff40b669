"""The `posec3d` command: one subcommand per workflow stage, called by the Snakemake rules.

Every subcommand writes its outputs atomically and exits non-zero with a one-line message naming
the bad file or key on bad input (set POSEC3D_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from posec3d import demo
from posec3d.atomic import atomic_path, write_json
from posec3d.config import ConfigError, load_run_config, merge, parse_assignment, read_mapping
from posec3d.estimators import commands as estimator_commands
from posec3d.extract import commands as extract_commands
from posec3d.video import commands as video_commands

log = logging.getLogger("posec3d")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    try:
        args.func(args)
    except (ConfigError, ValueError, KeyError, OSError) as err:  # OSError: unreadable or unwritable paths
        if os.environ.get("POSEC3D_DEBUG"):
            raise
        print(f"posec3d {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="posec3d", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("synth", help="generate a synthetic dataset analog (scenes with all persons)")
    p.add_argument("dataset", help="analog preset: gym, ntu60, ntu120, k400, volleyball")
    p.add_argument("--out", required=True, type=Path, help="scene file to write (.npz)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a preset field, e.g. num_classes=20 (repeatable)")
    p.add_argument("--progress", action="store_true")
    p.set_defaults(func=_synth)

    p = sub.add_parser("poses", help="write a pose file: a pose source of synthetic scenes "
                       "(gt-2d, gt-3d, sensor-3d, ...) or official annotations, imported")
    p.add_argument("--input", required=True, type=Path,
                   help="synthetic scene file, or an official annotation file (.pkl)")
    p.add_argument("--source", required=True, help="pose source name")
    p.add_argument("--kpfiles", type=Path, default=None,
                   help="Kinetics-400: folder of the official kpfiles")
    p.add_argument("--classes", type=Path, default=None,
                   help="class names, one per line in label order (mmaction2's label maps)")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_poses)

    p = sub.add_parser("export", help="write a pose file as an mmaction2/pyskl annotation pickle")
    p.add_argument("poses", type=Path, help="a pose file of the project (.npz) or an annotation file")
    p.add_argument("--out", required=True, type=Path, help="annotation file to write (.pkl)")
    p.set_defaults(func=_export)

    p = sub.add_parser("train", help="train a registered model on a pose file")
    _add_run_config(p)
    p.add_argument("--poses", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path, help="run folder (checkpoints, model.pt)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda")
    p.add_argument("--gpus", type=int, default=0,
                   help="more than 1: relaunch under torchrun, one DDP process per GPU")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads per process")
    p.add_argument("--keep-checkpoints", type=int, default=2)
    p.add_argument("--progress", action="store_true", help="progress bar within epochs")
    p.set_defaults(func=_train)

    p = sub.add_parser("test", help="k-clip testing: class scores and metrics")
    p.add_argument("--model", required=True, type=Path, help="model.pt written by train")
    p.add_argument("--poses", required=True, type=Path)
    p.add_argument("--clips", type=int, default=None, help="clips per video (default: run config)")
    p.add_argument("--split", default=None, help="split to test (default: the run's val split)")
    p.add_argument("--keypoint-drop", type=float, default=0.0, metavar="P",
                   help="drop one limb keypoint per frame with probability P (Table 5)")
    p.add_argument("--scores", required=True, type=Path, help="class-score file to write (.npz)")
    p.add_argument("--metrics", required=True, type=Path, help="metrics file to write (.json)")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--progress", action="store_true")
    p.set_defaults(func=_test)

    p = sub.add_parser("fuse", help="late fusion: weighted sum of class-score files")
    p.add_argument("scores", nargs="+", type=Path)
    p.add_argument("--weights", nargs="+", type=float, default=None)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--metrics", type=Path, default=None)
    p.set_defaults(func=_fuse)

    p = sub.add_parser("count", help="parameters and multiply-adds, counted as the paper does")
    p.add_argument("model", help="registered model name, e.g. pose-slowonly, msg3d")
    p.add_argument("--input", required=True, help="one sample's input shape, e.g. 17x48x56x56")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="model argument, e.g. base_channels=16 (repeatable)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=_count)
    p = sub.add_parser("fetch", help="download a file (official annotations) atomically")
    p.add_argument("--url", required=True)
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=_fetch)

    p = sub.add_parser("track-run", help="log a finished run (config, epochs, tests) to MLflow")
    p.add_argument("--model", required=True, type=Path, help="the run's model.pt (its folder names the run)")
    p.add_argument("--history", required=True, type=Path, help="the run's history.json")
    p.add_argument("--tests", nargs="*", default=[], type=Path,
                   help="test files to log: test_<k>clip.json metrics and their .npz scores")
    _add_profile(p)
    p.add_argument("--out", required=True, type=Path, help="record of the MLflow run (.json)")
    p.set_defaults(func=_track_run)

    p = sub.add_parser("table", help="build a paper table from its runs: CSV, Markdown, chart")
    p.add_argument("name", help="table declared in params/tables.yaml, e.g. table4")
    _add_profile(p)
    _add_table_outputs(p)
    p.set_defaults(func=_table)

    p = sub.add_parser("claims", help="verdicts on the paper's claims (params/tables.yaml) from "
                       "paired tests on the runs' test scores: CSV, Markdown, forest plot")
    _add_profile(p)
    _add_table_outputs(p)
    p.set_defaults(func=_claims)

    p = sub.add_parser("report", help="gather tables' Markdown files (from `table`, `claims`) into one report")
    p.add_argument("tables", nargs="+", type=Path, help="table Markdown files, in report order")
    _add_profile(p)
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=_report)

    p = sub.add_parser("restore-times", help="after `dvc pull`: give pulled outputs the times "
                       "Snakemake recorded, so that an up-to-date clone runs no job")
    p.add_argument("--workdir", type=Path, default=Path("."), help="the project folder (default: .)")
    p.set_defaults(func=_restore_times)

    video_commands.register(sub)
    estimator_commands.register(sub)
    extract_commands.register(sub)
    demo.register(sub)
    return parser


def _add_profile(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", required=True, metavar="FILE|JSON",
                   help="the workflow profile (params/*.yaml, or its resolved JSON)")


def _add_table_outputs(p: argparse.ArgumentParser) -> None:
    """The files a table-like command writes: CSV, Markdown, figure, record of its MLflow run."""
    p.add_argument("--csv", required=True, type=Path)
    p.add_argument("--markdown", required=True, type=Path)
    p.add_argument("--figure", required=True, type=Path)
    p.add_argument("--tracking", required=True, type=Path, help="record of its MLflow run (.json)")


def _log_table_run(args: argparse.Namespace, profile: dict[str, Any], name: str, cells: dict[str, float],
                   run_ids: list[str]) -> None:
    """Log the written CSV and figure as MLflow run `name` and record its id in `--tracking`."""
    from posec3d.mlflow_log import log_table
    from posec3d.tables.build import git_commit

    uri, experiment = _tracking(profile)
    run_id = log_table(uri=uri, experiment=experiment, name=name, csv_path=args.csv, cells=cells,
                       run_ids=run_ids, figures=[args.figure],
                       tags={"profile": profile["profile"], "git_commit": git_commit()})
    write_json(args.tracking, {"run_id": run_id, "experiment": experiment, "table": name})
    log.info("wrote %s, %s, %s (MLflow run %s)", args.csv, args.markdown, args.figure, run_id)


def _tracking(profile: dict[str, Any]) -> tuple[str, str]:
    """The MLflow tracking URI and experiment a profile logs to."""
    from posec3d import plan
    from posec3d.mlflow_log import tracking_uri

    mlflow = profile["mlflow"]
    return tracking_uri(mlflow.get("tracking_uri"), plan.ROOT), mlflow["experiment"]


def _add_run_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", action="append", required=True, metavar="FILE|JSON",
                   help="run config (YAML/JSON file or inline JSON); later ones override earlier")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. train.epochs=3 (repeatable)")


def _overrides(pairs: list[str]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for pair in pairs:
        merged = merge(merged, parse_assignment(pair))
    return merged


def _synth(args: argparse.Namespace) -> None:
    from posec3d.storage import save_poses
    from posec3d.synth import generate, synth_config

    cfg = synth_config(args.dataset, **_overrides(args.overrides))
    scenes = generate(cfg, seed=args.seed, progress=args.progress)
    save_poses(scenes, args.out)
    log.info("wrote %s: %d clips", args.out, len(scenes["annotations"]))


def _export(args: argparse.Namespace) -> None:
    from posec3d.storage import load_poses
    from posec3d.storage.export import export_annotations

    poses = load_poses(args.poses)
    export_annotations(poses, args.out)
    log.info("wrote %s (mmaction2/pyskl annotations): %d clips, splits %s", args.out,
             len(poses["annotations"]), ", ".join(sorted(poses["split"])))


def _poses(args: argparse.Namespace) -> None:
    from posec3d.storage import load_kinetics, load_poses, save_poses
    from posec3d.storage.label_map import read_class_names
    from posec3d.synth import is_scenes, pose_source

    if args.kpfiles is not None:
        poses = load_kinetics(args.input, args.kpfiles)
    else:
        poses = load_poses(args.input)
        if is_scenes(poses):
            poses = pose_source(poses, args.source, seed=args.seed)
    if args.classes is not None:
        poses = {**poses, "meta": {**poses.get("meta", {}), "classes": read_class_names(args.classes, poses)}}
    save_poses(poses, args.out)
    log.info("wrote %s (%s): %d clips", args.out, args.source, len(poses["annotations"]))


def _train(args: argparse.Namespace) -> None:
    from posec3d.engine.launch import relaunch_under_torchrun, set_threads
    from posec3d.engine.trainer import train

    cfg = load_run_config(args.config, args.overrides)
    if args.gpus > 1 and "WORLD_SIZE" not in os.environ:
        relaunch_under_torchrun(args.gpus)
    set_threads(args.threads)
    train(cfg, args.poses, args.out, device=args.device, progress=args.progress,
          keep_checkpoints=args.keep_checkpoints)


def _test(args: argparse.Namespace) -> None:
    from posec3d.engine.launch import set_threads
    from posec3d.engine.tester import test

    set_threads(args.threads)
    scores, metrics = test(args.model, args.poses, num_clips=args.clips, split=args.split,
                           device=args.device, progress=args.progress, keypoint_drop=args.keypoint_drop)
    scores.save(args.scores, metrics, args.metrics)  # scores and metrics together, or neither


def _fuse(args: argparse.Namespace) -> None:
    from posec3d.engine.fusion import fuse
    from posec3d.engine.metrics import accuracy_metrics

    fused = fuse(args.scores, args.weights)
    metrics = accuracy_metrics(fused.scores, fused.labels)
    record = {**metrics, "inputs": [str(p) for p in args.scores], "weights": args.weights or [1.0] * len(args.scores)}
    fused.save(args.out, record if args.metrics else None, args.metrics)  # scores and metrics together, or neither
    log.info("fused %d files: top1 %.2f  mean_class_top1 %.2f", len(args.scores),
             metrics["top1"], metrics["mean_class_top1"])


def _fetch(args: argparse.Namespace) -> None:
    from posec3d.fetch import download

    download(args.url, args.out)


def _track_run(args: argparse.Namespace) -> None:
    from posec3d import plan
    from posec3d.engine.checkpoint import load_checkpoint
    from posec3d.mlflow_log import log_training_run
    from posec3d.tables.build import git_commit

    profile = read_mapping(args.profile)
    run = plan.parse_run_dir(args.model.parent)
    state = load_checkpoint(args.model)
    tests = {p.stem.removeprefix("test_"): json.loads(p.read_text()) for p in args.tests if p.suffix == ".json"}
    uri, experiment = _tracking(profile)
    run_id = log_training_run(
        uri=uri, experiment=experiment, run_name=run.dir, config=state["config"],
        history=json.loads(args.history.read_text()), tests=tests, artefacts=sorted(args.tests),
        tags={"dataset": run.dataset, "model": run.model, "modality": run.modality,
              "pose_source": run.poses, "sampling": run.sampling, "seed": str(run.seed),
              "profile": profile["profile"], "git_commit": git_commit()})
    write_json(args.out, {"run_id": run_id, "experiment": experiment, "run_name": run.dir})
    log.info("logged %s to MLflow (%s) as run %s", run.dir, experiment, run_id)


def _table(args: argparse.Namespace) -> None:
    from posec3d import plan
    from posec3d.tables.build import build_table_and_bins
    from posec3d.tables.curves import plot_curves
    from posec3d.tables.leaderboard import pivot, plot_leaderboard
    from posec3d.tables.length_bins import plot_length_bins
    from posec3d.tables.matrices import plot_matrices
    from posec3d.tables.scaling import persons_sweep, plot_scaling
    from posec3d.tables.table import plot_table, to_markdown, write_csv

    profile = read_mapping(args.profile)
    table, _, bins = build_table_and_bins(profile, args.name)
    spec = plan.tables_of(profile)[args.name]
    if "leaderboard" in spec:  # one row per model and dataset
        table = pivot(profile, table)
    write_csv(table, args.csv)
    kind = spec.get("figure", {}).get("kind", "bars")
    if "leaderboard" in spec:
        plot_leaderboard(table, args.figure)
    elif bins:
        plot_length_bins(table, bins, args.figure)
    elif kind == "curves":
        plot_curves(table, args.figure)
    elif kind == "matrices":
        plot_matrices(table, {c["name"]: c["matrix"] for c in spec["columns"] if "matrix" in c}, args.figure)
    elif kind == "persons":
        labels = {c["run"]["model"]: c["group"] for c in spec["columns"] if "run" in c}
        plot_scaling(table, persons_sweep(profile, args.name), labels, args.figure)
    else:
        plot_table(table, args.figure, units=("%", ""))
    with atomic_path(args.markdown) as tmp:
        tmp.write_text(to_markdown(table, figure=os.path.relpath(args.figure, args.markdown.parent)))
    cells = {f"{row}.{col}": value for (row, col), value in table.ours.items() if value is not None}
    for (row, col), interval in table.intervals.items():
        cells |= {f"{row}.{col}.ci_low": interval.low, f"{row}.{col}.ci_high": interval.high}
    run_ids = sorted({i for p in table.provenance.values() for i in p["mlflow_run_ids"].split(";") if i})
    _log_table_run(args, profile, args.name, cells, run_ids)


def _claims(args: argparse.Namespace) -> None:
    from posec3d import plan
    from posec3d.tables.build import mlflow_ids
    from posec3d.tables.claims import (
        claim_cells,
        claims_markdown,
        claims_metrics,
        evaluate_claims,
        plot_claims,
        write_claims_csv,
    )

    profile = read_mapping(args.profile)
    results = evaluate_claims(profile)
    write_claims_csv(results, args.csv)
    plot_claims(results, args.figure)
    labels = {name: d.get("label", name) for name, d in profile["datasets"].items()}
    with atomic_path(args.markdown) as tmp:
        tmp.write_text(claims_markdown(results, row_labels=labels,
                                       figure=os.path.relpath(args.figure, args.markdown.parent)))
    run_ids = mlflow_ids(plan.ROOT, sorted({run.dir for cell in claim_cells(profile) for run in cell.trained_runs}))
    for verdict in ("reproduced", "contradicted", "inconclusive"):
        log.info("%s: %d of %d claim rows", verdict, sum(r.verdict == verdict for r in results), len(results))
    _log_table_run(args, profile, "claims", claims_metrics(results), run_ids)


def _report(args: argparse.Namespace) -> None:
    from posec3d.tables.build import git_commit
    from posec3d.tables.predictions import stats_settings
    from posec3d.tables.report import write_report

    profile = read_mapping(args.profile)
    write_report(args.tables, args.out, profile=profile["profile"], git_commit=git_commit(),
                 header_note=profile.get("description", ""), level=stats_settings(profile)["level"])
    log.info("wrote %s (%d tables)", args.out, len(args.tables))


def _restore_times(args: argparse.Namespace) -> None:
    from posec3d.provenance import restore_output_times

    restored = restore_output_times(args.workdir)
    log.info("restored the recorded times of %d outputs in %s", len(restored), args.workdir)


def _count(args: argparse.Namespace) -> None:
    from posec3d.complexity import count, format_complexity
    from posec3d.models import build_model

    try:
        shape = tuple(int(v) for v in args.input.lower().split("x"))
    except ValueError:
        raise ConfigError(f"--input {args.input!r}: expected sizes joined by 'x', e.g. 17x48x56x56") from None
    model = build_model(args.model, num_classes=60, **_overrides(args.overrides))
    c = count(model, shape)
    if args.json:
        print(json.dumps({"model": args.model, "input": list(shape), **vars(c)}))
    else:
        print(format_complexity(args.model, shape, c))


if __name__ == "__main__":
    sys.exit(main())
