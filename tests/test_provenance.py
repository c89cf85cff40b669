"""Pulled outputs get back the times Snakemake recorded for them."""

from __future__ import annotations

import json
import os
from base64 import urlsafe_b64encode
from pathlib import Path

from posec3d.provenance import METADATA, restore_output_times


def record(workdir: Path, output: str, endtime: float | None, split: int | None = None) -> None:
    """A Snakemake metadata record, its name split into folders like Snakemake's long names."""
    name = urlsafe_b64encode(output.encode()).decode()
    parts = [name] if split is None else [name[i:i + split] for i in range(0, len(name), split)]
    path = workdir / METADATA / Path(*(["@" + p for p in parts[:-1]] + parts[-1:]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"rule": "x", "endtime": endtime}))


def test_pulled_outputs_get_their_recorded_times(tmp_path: Path) -> None:
    made = {"data/a.npz": 1_000.0, "runs/deep/model.pt": 2_000.0, "results/t.csv": 3_000.0}
    for name, ended in made.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)  # "pulled" now: newer than its record
        record(tmp_path, name, ended, split=8 if "deep" in name else None)
    untouched = tmp_path / "data" / "b.npz"
    untouched.write_text("made by the job itself")
    os.utime(untouched, (500.0, 500.0))
    record(tmp_path, "data/b.npz", 900.0)  # older than its record: left alone
    record(tmp_path, "runs/incomplete.pt", None)  # a job that never finished
    (tmp_path / "runs" / "incomplete.pt").write_text("")

    restored = restore_output_times(tmp_path)

    assert sorted(restored) == sorted(made)
    for name, ended in made.items():
        assert (tmp_path / name).stat().st_mtime == ended
    assert untouched.stat().st_mtime == 500.0
    assert restore_output_times(tmp_path) == []  # idempotent


def test_no_metadata_no_change(tmp_path: Path) -> None:
    assert restore_output_times(tmp_path) == []


def test_pulled_directory_outputs_get_their_recorded_times(tmp_path: Path) -> None:
    """A directory output (rendered videos) and everything in it, Snakemake's timestamp flag too."""
    videos = tmp_path / "data" / "gym" / "videos"
    (videos / "sub").mkdir(parents=True)
    for name in ("a.avi", ".snakemake_timestamp", "sub/index.json"):
        (videos / name).write_text(name)
    record(tmp_path, "data/gym/videos", 1_000.0)

    assert restore_output_times(tmp_path) == ["data/gym/videos"]
    assert {p.stat().st_mtime for p in [videos, *videos.rglob("*")]} == {1_000.0}
    assert restore_output_times(tmp_path) == []


def test_restore_times_command(tmp_path: Path) -> None:
    """`posec3d restore-times`, the step after `dvc pull`, restores what the function does."""
    from posec3d.cli import main

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.npz").write_text("pulled")
    record(tmp_path, "data/a.npz", 1_000.0)
    assert main(["restore-times", "--workdir", str(tmp_path)]) == 0
    assert (tmp_path / "data" / "a.npz").stat().st_mtime == 1_000.0
