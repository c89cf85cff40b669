"""MLflow tracking: runs and tables logged to a real SQLite store and read back from it."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

mlflow = pytest.importorskip("mlflow")

from posec3d.mlflow_log import find_runs, log_table, log_training_run, tracking_uri  # noqa: E402

# A real 1x1 PNG, standing in for a table's figure.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQ"
                       "AAAABJRU5ErkJggg==")

CONFIG = {
    "seed": 0,
    "model": {"name": "pose-slowonly", "base_channels": 32, "stages": [4, 6, 3]},
    "input": {"kind": "joint", "notes": "x" * 7000},
    "train": {"epochs": 3, "amp": True, "clip_grad": None,
              "optimizer": {"lr": 0.2, "momentum": 0.9}},
}
HISTORY = [
    {"epoch": 1, "loss": 1.5, "train_top1": 40.0, "lr": 0.2},
    {"epoch": 2, "loss": 0.9, "train_top1": 70.0, "lr": 0.1, "val_top1": 66.7,
     "val_mean_class_top1": 65.0},
    {"epoch": 3, "loss": 0.4, "train_top1": 90.0, "lr": 0.0, "val_top1": 83.3,
     "val_mean_class_top1": 82.5},
]
TESTS = {
    "1clip": {"top1": 83.3, "top5": 100.0, "mean_class_top1": 82.5,
              "per_class_top1": [75.0, 90.0, 82.5], "num_videos": 12, "num_clips": 1,
              "split": "val"},
    "10clip": {"top1": 91.7, "top5": 100.0, "mean_class_top1": 91.0,
               "per_class_top1": [90.0, 93.0, 90.0], "num_videos": 12, "num_clips": 10,
               "split": "val"},
}
TAGS = {"dataset": "gym", "model": "pose-slowonly", "modality": "joint", "pose_source": "hq-gt",
        "profile": "smoke", "git_commit": "0123abc"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A SQLite store in a fresh project folder (created once: its migrations take seconds)."""
    root = tmp_path_factory.mktemp("project")
    return tracking_uri("sqlite:///mlflow.db", root), root


@pytest.fixture
def run_files(tmp_path: Path) -> list[Path]:
    """A class-score file and a metrics file, as `posec3d test` writes them."""
    scores = tmp_path / "scores_1clip.npz"
    np.savez(scores, scores=np.eye(3, dtype=np.float32), labels=np.arange(3))
    metrics = tmp_path / "metrics_1clip.json"
    metrics.write_text(json.dumps(TESTS["1clip"]))
    return [scores, metrics]


def _log(uri: str, experiment: str, files: list[Path], run_name: str = "gym-slowonly-joint") -> str:
    return log_training_run(uri=uri, experiment=experiment, run_name=run_name, config=CONFIG,
                            history=HISTORY, tests=TESTS, artefacts=files, tags=TAGS)


def test_tracking_uri_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking_uri(None, tmp_path) == f"sqlite:///{tmp_path.resolve()}/mlflow.db"
    assert tracking_uri("sqlite:///db/runs.db", tmp_path) == f"sqlite:///{tmp_path.resolve()}/db/runs.db"
    assert tracking_uri("sqlite:////abs/runs.db", tmp_path) == "sqlite:////abs/runs.db"
    assert tracking_uri("http://mlflow:5000", tmp_path) == "http://mlflow:5000"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "https://tracking.example.org")
    assert tracking_uri("http://mlflow:5000", tmp_path) == "https://tracking.example.org"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///env.db")
    assert tracking_uri(None, tmp_path) == f"sqlite:///{tmp_path.resolve()}/env.db"


def test_training_run_reads_back(store: tuple[str, Path], run_files: list[Path],
                                 tmp_path: Path) -> None:
    uri, root = store
    run_id = _log(uri, "training", run_files)
    client = mlflow.MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id)

    assert run.info.status == "FINISHED" and run.info.run_name == "gym-slowonly-joint"
    assert {k: run.data.tags[k] for k in TAGS} == TAGS and run.data.tags["kind"] == "training"
    params = run.data.params
    assert params["seed"] == "0" and params["model.name"] == "pose-slowonly"
    assert params["model.stages"] == "[4, 6, 3]" and params["train.optimizer.lr"] == "0.2"
    assert params["train.amp"] == "true" and params["train.clip_grad"] == "null"
    assert len(params["input.notes"]) == 6000 and params["input.notes"].endswith("...")

    loss = client.get_metric_history(run_id, "loss")
    assert [(m.step, m.value) for m in loss] == [(1, 1.5), (2, 0.9), (3, 0.4)]
    val = client.get_metric_history(run_id, "val_mean_class_top1")
    assert [(m.step, m.value) for m in val] == [(2, 65.0), (3, 82.5)]
    metrics = run.data.metrics
    assert metrics["test_1clip_top1"] == 83.3 and metrics["test_10clip_mean_class_top1"] == 91.0
    assert metrics["test_10clip_num_clips"] == 10
    assert not any("per_class" in k or "split" in k or k == "epoch" for k in metrics)

    listed = {f.path for f in client.list_artifacts(run_id)}
    assert listed == {"config.json", "tests.json", "scores_1clip.npz", "metrics_1clip.json"}
    assert run.info.artifact_uri.startswith(str(root / "mlruns"))  # in the project, not the cwd
    out = tmp_path / "download"
    out.mkdir()
    config = json.loads(Path(client.download_artifacts(run_id, "config.json", str(out))).read_text())
    assert config == CONFIG
    tests = json.loads(Path(client.download_artifacts(run_id, "tests.json", str(out))).read_text())
    assert tests["10clip"]["per_class_top1"] == [90.0, 93.0, 90.0]
    scores = Path(client.download_artifacts(run_id, "scores_1clip.npz", str(out)))
    assert scores.read_bytes() == run_files[0].read_bytes()

    assert [r.info.run_id for r in find_runs(uri, "training", dataset="gym", kind="training")] \
        == [run_id]
    assert find_runs(uri, "training", dataset="ntu60") == []
    assert find_runs(uri, "no-such-experiment") == []


def test_rerun_keeps_one_live_run(store: tuple[str, Path], run_files: list[Path]) -> None:
    uri, _ = store
    first = _log(uri, "rerun", run_files)
    second = _log(uri, "rerun", run_files)

    assert [r.info.run_id for r in find_runs(uri, "rerun")] == [second]
    old = mlflow.MlflowClient(tracking_uri=uri).get_run(first)
    assert old.info.lifecycle_stage == "deleted" and old.data.tags["superseded_by"] == second

    with pytest.raises(FileNotFoundError, match="missing.npz"):
        _log(uri, "rerun", [*run_files, run_files[0].with_name("missing.npz")])
    assert [r.info.run_id for r in find_runs(uri, "rerun")] == [second]


def test_table_reads_back(store: tuple[str, Path], run_files: list[Path], tmp_path: Path) -> None:
    uri, _ = store
    sources = [_log(uri, "tables", run_files, run_name=f"run-{i}") for i in range(2)]
    csv = tmp_path / "table4.csv"
    csv.write_text("dataset,cnn_1clip,gcn_acc\ngym,92.4,92.0\n")
    figure = tmp_path / "figure3.png"
    figure.write_bytes(PNG)

    table_id = log_table(uri=uri, experiment="tables", name="table4", csv_path=csv,
                         cells={"gym.cnn_1clip": 92.4, "gym/gcn acc(%)": 92.0},
                         run_ids=sources, tags={"profile": "smoke"}, figures=[figure])

    [run] = find_runs(uri, "tables", kind="table")
    assert run.info.run_id == table_id and run.info.run_name == "table4"
    assert run.data.metrics == {"gym.cnn_1clip": 92.4, "gym_gcn acc___": 92.0}
    assert run.data.tags["source_runs"].split(",") == sources
    assert run.data.tags["profile"] == "smoke"
    client = mlflow.MlflowClient(tracking_uri=uri)
    assert {f.path for f in client.list_artifacts(table_id)} == {"table4.csv", "figure3.png"}


def test_table_cells_that_collide_are_refused(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("a\n1\n")
    with pytest.raises(ValueError, match="both become metric 'gym_cnn'"):
        log_table(uri=f"sqlite:///{tmp_path}/never.db", experiment="e", name="t", csv_path=csv,
                  cells={"gym/cnn": 1.0, "gym_cnn": 2.0}, run_ids=[], tags={})
    assert not (tmp_path / "never.db").exists()


def test_two_processes_log_to_a_fresh_store(tmp_path: Path, run_files: list[Path]) -> None:
    """Two rules starting at once on a store that does not exist yet (migrations included)."""
    uri = f"sqlite:///{tmp_path}/project/mlflow.db"
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from posec3d.mlflow_log import log_training_run
        log_training_run(uri={uri!r}, experiment="parallel", run_name=sys.argv[1],
                         config={{"seed": 0}}, history=[{{"epoch": 1, "loss": 1.0}}],
                         tests={{}}, artefacts=[Path({str(run_files[1])!r})], tags={{}})
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, name], cwd=cwd,
                              stderr=subprocess.PIPE, text=True) for name in ("run-a", "run-b")]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors

    assert sorted(r.info.run_name for r in find_runs(uri, "parallel")) == ["run-a", "run-b"]
    assert list(cwd.iterdir()) == []  # nothing (no ./mlruns) written to the working directory


def test_track_run_logs_the_test_files_it_is_given_and_no_other(tmp_path: Path) -> None:
    """A test file left in the run folder by an earlier profile is not logged with this one."""
    import torch

    from posec3d.cli import main

    run_dir = tmp_path / "runs" / "gym" / "hq-gt" / "pose-slowonly_joint_uniform_s0"
    run_dir.mkdir(parents=True)
    torch.save({"config": CONFIG}, run_dir / "model.pt")
    (run_dir / "history.json").write_text(json.dumps(HISTORY))
    declared = run_dir / "test_1clip.json"
    declared.write_text(json.dumps(TESTS["1clip"]))
    (run_dir / "test_10clip.json").write_text(json.dumps(TESTS["10clip"]))  # stale, undeclared
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    profile = json.dumps({"profile": "smoke", "mlflow": {"experiment": "track", "tracking_uri": uri}})
    out = tmp_path / "mlflow.json"
    assert main(["track-run", "--model", str(run_dir / "model.pt"), "--history", str(run_dir / "history.json"),
                 "--tests", str(declared), "--profile", profile, "--out", str(out)]) == 0

    record = json.loads(out.read_text())
    run = mlflow.MlflowClient(tracking_uri=uri).get_run(record["run_id"])
    assert run.info.run_name == record["run_name"] == "runs/gym/hq-gt/pose-slowonly_joint_uniform_s0"
    assert run.data.metrics["test_1clip_top1"] == TESTS["1clip"]["top1"]
    assert not any(k.startswith("test_10clip") for k in run.data.metrics)
    listed = {f.path for f in mlflow.MlflowClient(tracking_uri=uri).list_artifacts(run.info.run_id)}
    assert "test_1clip.json" in listed and "test_10clip.json" not in listed
