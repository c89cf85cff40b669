"""The train/test/fuse engine on a tiny synthetic dataset: recipes, resumption, DDP, fusion."""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from posec3d.config import ConfigError, ScheduleConfig, load_run_config
from posec3d.engine.checkpoint import epoch_checkpoint, load_checkpoint, newest_readable_checkpoint, save_atomic
from posec3d.engine.fusion import fuse
from posec3d.engine.metrics import accuracy_metrics
from posec3d.engine.schedule import lr_factor
from posec3d.engine.scores import ClassScores
from posec3d.engine.tester import test as run_test
from posec3d.engine.trainer import CHECKPOINT_DIR, KILL_AFTER_EPOCH_ENV, train

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "params" / "recipes"


def tiny_cnn(tmp: Path, **overrides: object) -> list[str]:
    """Config sources for a tiny Pose-SlowOnly on the tiny gym analog."""
    run = {
        "model": {"base_channels": 4, "stage_blocks": [1, 1, 1]},
        "input": {"clip_len": 8, "size": [16, 16]},
        "train": {"epochs": 3, "batch_size": 8, "num_workers": 0, "val_every": 1,
                  "optimizer": {"lr": 0.05}},
        "test": {"num_clips": 3, "batch_size": 8},
        "data": {"train_split": "train", "val_split": "val"},
    }
    path = tmp / "tiny.json"
    path.write_text(json.dumps(run))
    return [str(RECIPES / "pose-slowonly.yaml"), str(path)]


def weights(model_file: Path) -> dict[str, torch.Tensor]:
    return load_checkpoint(model_file)["model"]


def test_train_then_test_one_and_ten_clips(tiny_gym: Path, tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    cfg = load_run_config(tiny_cnn(tmp_path))
    history = train(cfg, tiny_gym, tmp_path / "run")
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert all(math.isfinite(h["loss"]) and "val_top1" in h for h in history)
    assert json.loads((tmp_path / "run" / "history.json").read_text()) == history
    # one checkpoint per epoch, the two newest kept
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir()) == [
        "epoch_002.pt", "epoch_003.pt"]

    one, m1 = run_test(tmp_path / "run" / "model.pt", tiny_gym, num_clips=1, num_workers=0)
    ten, m10 = run_test(tmp_path / "run" / "model.pt", tiny_gym, num_clips=10, num_workers=0)
    assert one.scores.shape == ten.scores.shape == (m1["num_videos"], 3)
    np.testing.assert_allclose(ten.scores.sum(axis=1), 1.0, rtol=1e-5)
    assert not np.allclose(one.scores, ten.scores)  # ten clips average more views
    assert m10["num_clips"] == 10 and 0.0 <= m10["mean_class_top1"] <= 100.0
    # fixed test clips: testing twice gives the same scores; without `num_workers` the test
    # loader takes the run's own setting (0 here), not a fixed count of processes
    with caplog.at_level("INFO", logger="posec3d.test"):
        again, _ = run_test(tmp_path / "run" / "model.pt", tiny_gym, num_clips=10)
    np.testing.assert_array_equal(again.scores, ten.scores)
    assert "10 clip(s), 0 loader worker(s)" in caplog.text


def test_msg3d_trains_on_coordinates(tiny_gym: Path, tmp_path: Path) -> None:
    run = {"input": {"clip_len": 12}, "train": {"epochs": 1, "batch_size": 8, "num_workers": 0},
           "data": {"train_split": "train", "val_split": "val"}}
    cfg = load_run_config([str(RECIPES / "msg3d.yaml"), json.dumps(run)])
    history = train(cfg, tiny_gym, tmp_path / "gcn")
    assert len(history) == 1 and math.isfinite(history[0]["loss"])
    scores, metrics = run_test(tmp_path / "gcn" / "model.pt", tiny_gym, num_workers=0)
    assert scores.scores.shape[1] == 3 and metrics["num_clips"] == 1


def _cli_train(sources: list[str], out: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "posec3d", "train", "--poses", str(out.parent / "poses.npz"),
           "--out", str(out)]
    for source in sources:
        cmd += ["--config", source]
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def assert_same_weights(a: Path, b: Path) -> None:
    """The two runs' final weights are bit-identical."""
    wa, wb = weights(a / "model.pt"), weights(b / "model.pt")
    assert wa.keys() == wb.keys()
    for key in wa:
        torch.testing.assert_close(wa[key], wb[key], rtol=0, atol=0, msg=key)


def test_killed_run_resumes_to_the_same_result(tiny_gym: Path, tmp_path: Path) -> None:
    """SIGKILL right after epoch 1's checkpoint (the trainer's hook), then the same command again."""
    (tmp_path / "poses.npz").symlink_to(tiny_gym)
    sources = tiny_cnn(tmp_path)
    whole = _cli_train(sources, tmp_path / "whole")
    assert whole.returncode == 0, whole.stdout

    victim = _cli_train(sources, tmp_path / "killed", {KILL_AFTER_EPOCH_ENV: "1"})
    assert victim.returncode == -signal.SIGKILL, victim.stdout
    checkpoints = tmp_path / "killed" / CHECKPOINT_DIR
    assert sorted(p.name for p in checkpoints.iterdir()) == ["epoch_001.pt"]
    assert not (tmp_path / "killed" / "model.pt").exists()

    resumed = _cli_train(sources, tmp_path / "killed")
    assert resumed.returncode == 0, resumed.stdout
    assert "resuming from" in resumed.stdout and "(epoch 1 of 3 done)" in resumed.stdout
    assert_same_weights(tmp_path / "whole", tmp_path / "killed")
    assert (json.loads((tmp_path / "whole" / "history.json").read_text())[-1]["loss"]
            == json.loads((tmp_path / "killed" / "history.json").read_text())[-1]["loss"])


def test_unreadable_checkpoints_are_skipped_newest_first(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for epoch in (1, 2, 3):
        save_atomic({"epoch": epoch}, epoch_checkpoint(tmp_path, epoch))
    third = epoch_checkpoint(tmp_path, 3)
    third.write_bytes(third.read_bytes()[: third.stat().st_size // 2])  # truncated
    path, state, unreadable = newest_readable_checkpoint(tmp_path)
    assert path == epoch_checkpoint(tmp_path, 2) and state == {"epoch": 2} and unreadable == [third]
    assert "epoch_003.pt: not a readable posec3d checkpoint" in caplog.text
    for epoch in (1, 2):
        epoch_checkpoint(tmp_path, epoch).write_bytes(b"")  # zero bytes
    assert newest_readable_checkpoint(tmp_path) == (None, None, [epoch_checkpoint(tmp_path, e) for e in (3, 2, 1)])
    assert newest_readable_checkpoint(tmp_path / "absent") == (None, None, [])


def test_zero_byte_newest_checkpoint_falls_back_to_the_previous_one(
    tiny_gym: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = load_run_config(tiny_cnn(tmp_path))
    train(cfg, tiny_gym, tmp_path / "whole")
    train(cfg, tiny_gym, tmp_path / "cut")
    newest = tmp_path / "cut" / CHECKPOINT_DIR / "epoch_003.pt"
    newest.write_bytes(b"")
    (tmp_path / "cut" / "model.pt").unlink()
    with caplog.at_level(logging.INFO, logger="posec3d.train"):
        history = train(cfg, tiny_gym, tmp_path / "cut")
    assert f"{newest}: not a readable posec3d checkpoint" in caplog.text
    assert "falling back to the previous checkpoint" in caplog.text
    assert "epoch_002.pt (epoch 2 of 3 done)" in caplog.text
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert load_checkpoint(newest)["epoch"] == 3  # written again, readable
    assert_same_weights(tmp_path / "whole", tmp_path / "cut")


@pytest.mark.dist
def test_ddp_with_gloo_on_two_cpu_processes(tiny_gym: Path, tmp_path: Path) -> None:
    sources = tiny_cnn(tmp_path)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "posec3d", "train", "--poses", str(tiny_gym), "--out", str(tmp_path / "ddp"),
           "--device", "cpu", "--set", "train.epochs=2"]
    for source in sources:
        cmd += ["--config", source]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 process(es) on cpu" in done.stderr
    state = load_checkpoint(tmp_path / "ddp" / "model.pt")
    assert [h["epoch"] for h in state["history"]] == [1, 2]
    scores, _ = run_test(tmp_path / "ddp" / "model.pt", tiny_gym, num_workers=0)
    assert np.isfinite(scores.scores).all()


def test_fusion_is_a_weighted_sum_aligned_by_clip(tmp_path: Path) -> None:
    labels = np.array([0, 1, 1])
    dirs = np.array(["a", "b", "c"])
    joint = ClassScores(np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]], np.float32), labels, dirs)
    limb_scores = np.array([[0.3, 0.7], [0.4, 0.6], [0.1, 0.9]], np.float32)
    order = [2, 0, 1]  # the limb file lists the same videos in another order
    limb = ClassScores(limb_scores[order], labels[order], dirs[order])
    joint.save(tmp_path / "j.npz")
    limb.save(tmp_path / "l.npz")
    fused = fuse([tmp_path / "j.npz", tmp_path / "l.npz"], [1.0, 2.0])
    expected = joint.scores + 2 * limb_scores
    np.testing.assert_allclose(fused.scores, expected, rtol=1e-6)
    # the joint scores alone get video b wrong; the fused ones get all three right
    assert accuracy_metrics(joint.scores, labels)["top1"] == pytest.approx(100 * 2 / 3)
    assert accuracy_metrics(fused.scores, fused.labels)["top1"] == 100.0

    other = ClassScores(joint.scores, labels, np.array(["a", "b", "x"]))
    other.save(tmp_path / "o.npz")
    with pytest.raises(ValueError, match="o.npz"):
        fuse([tmp_path / "j.npz", tmp_path / "o.npz"])


def test_metrics_top1_mean_class_and_per_class() -> None:
    scores = np.eye(3)[[0, 0, 0, 1, 2, 2]].astype(np.float32)  # predictions
    labels = np.array([0, 0, 0, 1, 1, 2])
    m = accuracy_metrics(scores, labels, num_classes=4)
    assert m["top1"] == pytest.approx(100 * 5 / 6)
    assert m["per_class_top1"] == [100.0, 50.0, 100.0, None]
    assert m["mean_class_top1"] == pytest.approx(250 / 3)


def test_schedules() -> None:
    cosine = ScheduleConfig(kind="cosine")
    assert lr_factor(cosine, 0, 10, 4) == 1.0
    assert lr_factor(cosine, 20, 10, 4) == pytest.approx(0.5)
    assert lr_factor(cosine, 40, 10, 4) == pytest.approx(0.0)
    step = ScheduleConfig(kind="step", milestones=[30, 40], gamma=0.1)
    assert [lr_factor(step, e * 10, 10, 50) for e in (0, 29, 30, 45)] == pytest.approx(
        [1.0, 1.0, 0.1, 0.01])
    warm = ScheduleConfig(kind="cosine", warmup_epochs=1)
    assert lr_factor(warm, 4, 10, 5) == pytest.approx(0.5)


def test_config_errors_name_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: {epochs: 1, batch_size: 2, optimiser: {}}\n")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['optimiser'\]"):
        load_run_config([str(RECIPES / "pose-slowonly.yaml"), str(bad)])
    with pytest.raises(ConfigError, match="missing required key 'data'"):
        load_run_config([str(RECIPES / "pose-slowonly.yaml")])
    with pytest.raises(ConfigError, match="kind must be"):
        load_run_config([str(RECIPES / "pose-slowonly.yaml")],
                        ["train.schedule.kind=linear", "data={train_split: a, val_split: b}"])


def test_cli_reports_a_bad_pose_file_by_name(tmp_path: Path) -> None:
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a pose file")
    done = subprocess.run(
        [sys.executable, "-m", "posec3d", "train", "--config", str(RECIPES / "pose-slowonly.yaml"),
         "--set", "data={train_split: train, val_split: val}", "--poses", str(broken),
         "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "broken.npz" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "run").exists()


def test_checkpoints_of_another_config_are_not_resumed(tiny_gym: Path, tmp_path: Path) -> None:
    sources = tiny_cnn(tmp_path)
    train(load_run_config(sources, ["train.epochs=1"]), tiny_gym, tmp_path / "run")
    # a wider model in the same folder must start afresh, not load the old weights
    history = train(load_run_config(sources, ["train.epochs=1", "model.base_channels=8"]),
                    tiny_gym, tmp_path / "run")
    assert len(history) == 1
    assert weights(tmp_path / "run" / "model.pt")["fc.weight"].shape[1] == 8 * 4 * 4
