"""A folder of your own videos through the real workflow: the labels file is indexed, persons are
detected and tracked, poses estimated (with estimators given as config + checkpoint, the paper
profile's path), both models trained and tested, Table 4 built for the dataset, and `posec3d demo`
run on the real NTU sample video with a trained run.

The videos: rendered gym clips written as .mp4 and the real 1920x1080 NTU sample (.avi). The
estimators are tiny and randomly initialised (no checkpoint can be downloaded here), so the
numbers mean nothing: the plumbing, the sizes and frame rates read from each video, and the
outputs are what is tested.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
import yaml

from posec3d.storage import load_poses
from posec3d.video import video_info
from tests.estimator_folders import random_estimator
from tests.rendered_world import video_folder
from tests.test_workflow import SMOKE, _completed, project_copy, snakemake

pytestmark = pytest.mark.slow


def _profile(repo: Path, videos: Path, labels: Path, estimators: Path) -> dict:
    smoke = yaml.safe_load((repo / SMOKE).read_text())
    models = {name: {**entry, "set": {**entry["set"], "train": {**entry["set"]["train"], "epochs": 1}}}
              for name, entry in smoke["models"].items() if name in ("pose-slowonly", "msg3d")}
    return {
        "profile": "videos-test",
        "description": "A folder of videos with a labels file; random estimators, numbers meaningless.",
        "seed": 0,
        "mlflow": {"tracking_uri": None, "experiment": "posec3d-videos-test"},
        "resources": {"train_threads": 1, "train_gpus": 0},
        "pose_sources": {"main": "hq-detection"},
        "estimators": {"models": {
            name: {"kind": kind, "label": name, "config": str(estimators / name / "config.py"),
                   "checkpoint": str(estimators / name / "model.pth")}
            for name, kind in (("detector", "detector"), ("hq", "topdown"))}},
        "extraction": {"detector": "detector", "score_threshold": 0.0, "max_persons": 2, "batch": 16},
        "datasets": {"mine": {
            "label": "my videos",
            "videos": {"path": str(videos), "labels": str(labels)},
            "splits": {"train": "train", "val": "val"},
            "metric": "top1",
            "extraction": {"min_area": 4.0, "min_frames": 2},
        }},
        "models": models,
        "tables": {"table4": {"rows": ["mine"]}},
    }


def test_a_folder_of_videos_is_extracted_trained_tested_and_demoed(tmp_path: Path) -> None:
    repo = project_copy(tmp_path / "posec3d-bench")
    videos, labels = video_folder(tmp_path / "mine")
    for name in ("detector", "hq"):
        random_estimator(name, tmp_path / "estimators" / name)
    profile = _profile(repo, videos, labels, tmp_path / "estimators")
    path = tmp_path / "videos.yaml"
    path.write_text(yaml.safe_dump(profile, sort_keys=False))

    snakemake(repo, "--cores", "all", "results/table4.csv", "data/mine/poses/hq-tracking.npz",
              "--configfile", str(path))

    clips = json.loads((repo / "data/mine/clips.json").read_text())
    listed = len(labels.read_text().splitlines()) - 1
    assert len(clips["clips"]) == listed and clips["split"]["val"]
    for source in ("hq-detection", "hq-tracking"):
        poses = load_poses(repo / f"data/mine/poses/{source}.npz")
        assert poses["meta"]["extraction"]["boxes"] == source.split("-")[1]
        assert poses["meta"]["extraction"]["min_frames"] == 2 and poses["meta"]["classes"] == clips["classes"]
        ntu = next(c for c in poses["annotations"] if c["frame_dir"] == "ntu_sample")
        assert ntu["img_shape"] == (1080, 1920) and ntu["fps"] == 30.0 and ntu["total_frames"] == 72
    assert f"{listed} videos listed, {listed} indexed" in (repo / "logs/index/mine.log").read_text()
    with open(repo / "results/table4.csv", newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert row["row"] == "mine" and 0.0 <= float(row["gcn_acc"]) <= 100.0 and row["gcn_acc_n_val"] == str(
        len(clips["split"]["val"]))

    model = repo / "runs/mine/hq-detection/msg3d_joint_uniform_s0/model.pt"
    out = tmp_path / "demo.mp4"
    demo = _completed(repo, sys.executable, "-m", "posec3d", "demo", str(videos / "ntu_sample.avi"),
                      "--model", str(model), "--profile", str(path), "--out", str(out), "--threads", "1")
    assert demo.returncode == 0, demo.stderr[-3000:]
    lines = demo.stdout.strip().splitlines()
    assert len(lines) == len(clips["classes"]) == 2  # top-5 of two classes: both, best first
    scores = [float(line.split()[0]) for line in lines]
    assert scores == sorted(scores, reverse=True) and abs(sum(scores) - 1.0) < 1e-3
    assert {line.split(maxsplit=1)[1] for line in lines} == set(clips["classes"])
    assert video_info(out)[:3] == (72, 1080, 1920)

    tracked = _completed(repo, sys.executable, "-m", "posec3d", "demo", str(videos / "ntu_sample.avi"),
                         "--model", str(model), "--profile", str(path), "--boxes", "tracking",
                         "--out", str(tmp_path / "tracked.avi"), "--threads", "1")
    assert tracked.returncode == 2 and "give --box" in tracked.stderr and not (tmp_path / "tracked.avi").exists()

    gt = tmp_path / "gt.yaml"
    gt.write_text(yaml.safe_dump({**profile, "pose_sources": {"main": "hq-gt"}}, sort_keys=False))
    refused = _completed(repo, sys.executable, "-m", "snakemake", "-n", "results/table4.csv", "--configfile", str(gt))
    assert refused.returncode != 0
    assert "datasets.mine is a videos dataset: pose source 'hq-gt'" in refused.stdout + refused.stderr
