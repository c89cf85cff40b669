"""Bad input is answered: one line naming the file (and the clip) and what is wrong, exit code 2,
no traceback and no output, partial or whole. Each test builds its bad files in tmp_path and runs
the real command line."""

from __future__ import annotations

import json
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from posec3d.atomic import OutputPathError, atomic_paths
from posec3d.engine.scores import ClassScores
from posec3d.storage import load_poses, save_poses
from tests.rendered_world import render_gym

ROOT = Path(__file__).resolve().parents[1]


def posec3d(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "posec3d", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def assert_refused(done: subprocess.CompletedProcess[str], *names: str | Path) -> str:
    """Exit 2 and one error line (log lines aside) naming every one of `names`; returns the line."""
    errors = [line for line in done.stderr.splitlines() if ": error: " in line]
    assert done.returncode == 2, done.stderr[-3000:]
    assert len(errors) == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    for name in names:
        assert str(name) in errors[0], errors[0]
    return errors[0]


# ---- fuse --------------------------------------------------------------------------------------

def _scores(path: Path, scores: Any = None, labels: Any = None, frame_dirs: Any = None) -> Path:
    np.savez(path, scores=np.eye(3, dtype=np.float32) if scores is None else scores,
             labels=np.arange(3) if labels is None else labels,
             frame_dirs=np.array(["a", "b", "c"]) if frame_dirs is None else frame_dirs)
    return path


def _truncated(path: Path) -> Path:
    data = _scores(path).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


BAD_SCORES = {
    "nan": (lambda p: _scores(p, scores=np.full((3, 3), np.nan, np.float32)), "NaN"),
    "duplicate": (lambda p: _scores(p, frame_dirs=np.array(["a", "a", "c"])), "'a' appears 2 times"),
    "lengths": (lambda p: _scores(p, frame_dirs=np.array(list("abcde"))), "do not match"),
    "label": (lambda p: _scores(p, labels=np.array([0, 1, 7])), "label 7 is outside the 3 classes"),
    "empty": (lambda p: p.write_bytes(b""), "not a class-score file"),
    "truncated": (_truncated, "not a class-score file"),
}


@pytest.mark.parametrize("case", sorted(BAD_SCORES))
def test_fuse_refuses_a_bad_score_file_and_writes_nothing(case: str, tmp_path: Path) -> None:
    make, why = BAD_SCORES[case]
    good, bad = _scores(tmp_path / "good.npz"), tmp_path / f"{case}.npz"
    make(bad)
    out, metrics = tmp_path / "fused.npz", tmp_path / "fused.json"
    line = assert_refused(posec3d("fuse", good, bad, "--out", out, "--metrics", metrics), bad)
    assert why in line
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["good.npz", bad.name])


def test_fuse_refuses_a_nan_weight(tmp_path: Path) -> None:
    good = _scores(tmp_path / "good.npz")
    assert "weight is nan" in assert_refused(posec3d("fuse", good, good, "--weights", "nan", "1",
                                                     "--out", tmp_path / "out.npz"), good)
    assert not (tmp_path / "out.npz").exists()


def test_fuse_writes_scores_and_metrics_together_or_not_at_all(tmp_path: Path) -> None:
    good = _scores(tmp_path / "good.npz")
    (tmp_path / "taken").mkdir()
    assert_refused(posec3d("fuse", good, "--out", tmp_path / "fused.npz", "--metrics", tmp_path / "taken"),
                   tmp_path / "taken")
    assert not (tmp_path / "fused.npz").exists()


# ---- output paths ------------------------------------------------------------------------------

def test_an_output_path_that_cannot_be_a_file_is_one_line(tmp_path: Path) -> None:
    good = _scores(tmp_path / "good.npz")
    assert "is a folder" in assert_refused(posec3d("fuse", good, "--out", tmp_path), tmp_path)
    (tmp_path / "plain").write_text("")
    under_file = tmp_path / "plain" / "fused.npz"
    assert "is a file, not a folder" in assert_refused(posec3d("fuse", good, "--out", under_file), under_file)


def test_a_read_only_folder_is_one_line(tmp_path: Path) -> None:
    good = _scores(tmp_path / "good.npz")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        folder = locked if not os.access(locked, os.W_OK) else Path("/sys")  # root writes anywhere but sysfs
        if not folder.is_dir():
            pytest.skip("no folder this user cannot write into")
        out = folder / "fused.npz"
        assert "cannot write" in assert_refused(posec3d("fuse", good, "--out", out), out)
        assert not out.exists() and not list(locked.iterdir())
    finally:
        locked.chmod(0o755)


def test_outputs_written_together_appear_together_or_not_at_all(tmp_path: Path) -> None:
    scores = ClassScores(np.eye(2, dtype=np.float32), np.arange(2), np.array(["a", "b"]))
    (tmp_path / "metrics.json").mkdir()
    with pytest.raises(OutputPathError, match="metrics.json: is a folder"):
        scores.save(tmp_path / "scores.npz", {"top1": 100.0}, tmp_path / "metrics.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]
    # a failure after the first rename takes the renamed output away again
    pair = atomic_paths(tmp_path / "a.txt", tmp_path / "b.txt")
    with pytest.raises(OutputPathError, match="b.txt: cannot write"), pair as (a, b):
        a.write_text("a")
        b.write_text("b")
        (tmp_path / "b.txt").mkdir()  # the second rename fails
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.txt", "metrics.json"]
    scores.save(tmp_path / "scores.npz", {"top1": 100.0}, tmp_path / "ok.json")
    assert json.loads((tmp_path / "ok.json").read_text()) == {"top1": 100.0}
    assert ClassScores.load(tmp_path / "scores.npz").frame_dirs.tolist() == ["a", "b"]


# ---- annotation files --------------------------------------------------------------------------

def _clip(index: int, **fields: Any) -> dict[str, Any]:
    clip = {"frame_dir": f"clip{index}", "label": index, "img_shape": (256, 340), "original_shape": (256, 340),
            "total_frames": 4, "keypoint": np.full((1, 4, 17, 2), 100, np.float32),
            "keypoint_score": np.ones((1, 4, 17), np.float32)}
    return {**clip, **fields}


def _dataset(**fields: Any) -> dict[str, Any]:
    return {"split": {"train": ["clip0", "clip1"]}, "annotations": [_clip(0), _clip(1)], **fields}


def _far(value: float) -> np.ndarray:
    keypoint = np.full((1, 4, 17, 2), 100, np.float32)
    keypoint[0, 2, 5, 1] = value
    return keypoint


BAD_ANNOTATIONS = {
    "label_beyond_classes": (_dataset(meta={"classes": ["jump"]}), "clip #1 ('clip1'): label 1 is beyond the 1"),
    "meta_not_a_dict": (_dataset(meta=["jump", "turn"]), "meta must be a dict"),
    "classes_not_a_list": (_dataset(meta={"classes": "jump"}), "meta.classes must be a non-empty list"),
    "class_not_a_name": (_dataset(meta={"classes": ["jump", 2]}), "meta.classes must be a non-empty list"),
    "split_entry_int": (_dataset(split={"train": ["clip0", 1]}), "split 'train' holds an object of type 'int'"),
    "split_entry_list": (_dataset(split={"train": [["clip0"]]}), "split 'train' holds an object of type 'list'"),
    "coordinate_huge": (_dataset(annotations=[_clip(0), _clip(1, keypoint=_far(3e38))]),
                        "clip #1 ('clip1'): keypoint coordinate 3e+38"),
    "coordinate_huge_negative": (_dataset(annotations=[_clip(0, keypoint=_far(-3e38)), _clip(1)]),
                                 "clip #0 ('clip0'): keypoint coordinate -3e+38"),
    "coordinate_3d_huge": (_dataset(annotations=[_clip(0), _clip(1, keypoint=np.full((1, 4, 17, 3), 1e9,
                                                                                       np.float32))]),
                           "clip #1 ('clip1'): keypoint coordinate 1e+09"),
}


@pytest.mark.parametrize("case", sorted(BAD_ANNOTATIONS))
def test_bad_annotation_pickles_are_refused_at_load_naming_file_and_clip(case: str, tmp_path: Path) -> None:
    dataset, why = BAD_ANNOTATIONS[case]
    source = tmp_path / f"{case}.pkl"
    source.write_bytes(pickle.dumps(dataset, protocol=2))
    out = tmp_path / "poses.npz"
    assert why in assert_refused(posec3d("poses", "--input", source, "--source", "hrnet", "--out", out), source)
    assert not out.exists()


def test_coordinates_a_little_outside_the_frame_are_kept(tmp_path: Path) -> None:
    source = tmp_path / "near.pkl"
    source.write_bytes(pickle.dumps(_dataset(annotations=[_clip(0, keypoint=_far(-500)), _clip(1)])))
    done = posec3d("poses", "--input", source, "--source", "hrnet", "--out", tmp_path / "poses.npz")
    assert done.returncode == 0, done.stderr


def _nested_npz(path: Path, depth: int) -> Path:
    """A valid pose file whose meta holds a list nested `depth` levels deep."""
    save_poses(_dataset(), path)
    with np.load(path) as archive:
        members = {name: archive[name] for name in archive.files}
    document = json.loads(members["document"].tobytes())
    text = json.dumps({**document, "dataset": {**document["dataset"], "meta": "NESTED"}})
    text = text.replace('"NESTED"', '{"dict": [["deep", ' + "[" * depth + "]" * depth + "]]}")
    members["document"] = np.frombuffer(text.encode(), np.uint8)
    np.savez(path, **members)
    return path


@pytest.mark.parametrize("depth", [40, 200_000])
def test_deeply_nested_json_in_a_pose_file_is_refused(depth: int, tmp_path: Path) -> None:
    source = _nested_npz(tmp_path / "nested.npz", depth)
    out = tmp_path / "poses.npz"
    line = assert_refused(posec3d("poses", "--input", source, "--source", "x", "--out", out), source)
    assert "nest" in line
    assert not out.exists()


HOSTILE_PICKLES = {
    # 33 bytes: bytearray(1.5 GiB) of zeros
    "bytearray": b"\x80\x02c__builtin__\nbytearray\nJ\x00\x00\x00\x60\x85R.",
    "bytes": b"\x80\x02c__builtin__\nbytes\nJ\x00\x00\x00\x60\x85R.",
    # numpy's reconstructor asked for an array of 10**10 bytes
    "reconstruct": (b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n\x8a\x05"
                    + (10**10).to_bytes(5, "little") + b"\x85C\x01b\x87R."),
    # numpy.ndarray called directly
    "ndarray": b"\x80\x02cnumpy\nndarray\n\x8a\x05" + (10**10).to_bytes(5, "little") + b"\x85\x85R.",
    # a string that claims 8 GiB
    "long_string": b"\x80\x04\x8d" + struct.pack("<Q", 1 << 33) + b"ab.",
}


@pytest.mark.parametrize("case", sorted(HOSTILE_PICKLES))
def test_a_tiny_pickle_cannot_make_the_loader_allocate_gigabytes(case: str, tmp_path: Path) -> None:
    source = tmp_path / f"{case}.pkl"
    source.write_bytes(HOSTILE_PICKLES[case])
    out = tmp_path / "poses.npz"
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)); "
            "from posec3d.cli import main; sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", code, "poses", "--input", str(source), "--source", "x",
                           "--out", str(out)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert "not a readable pickle" in assert_refused(done, source)
    assert not out.exists()


# ---- a bad clip inside a DataLoader worker -----------------------------------------------------

def test_a_clip_error_in_a_dataloader_worker_is_the_same_one_line(tiny_gym: Path, tmp_path: Path) -> None:
    """Stored-heatmap input on a pose file without heatmaps: the first clip fails in the worker."""
    run = {"model": {"base_channels": 4, "stage_blocks": [1, 1, 1]},
           "input": {"clip_len": 8, "size": [16, 16], "source": "heatmaps"},
           "train": {"epochs": 1, "batch_size": 8, "num_workers": 1},
           "data": {"train_split": "train", "val_split": "val"}}
    done = posec3d("train", "--config", ROOT / "params" / "recipes" / "pose-slowonly.yaml",
                   "--config", json.dumps(run), "--poses", tiny_gym, "--out", tmp_path / "run", "--device", "cpu")
    line = assert_refused(done, tiny_gym, "clip '")
    assert "Caught" not in done.stderr and "heatmap" in line
    assert not (tmp_path / "run" / "model.pt").exists()


# ---- videos and extraction ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two short gym scenes rendered 64 px wide: scenes.npz and videos/ in one folder."""
    root = tmp_path_factory.mktemp("rendered")
    render_gym(root, 64, num_classes=2, clips_per_class=1, length_median=10, length_range=(8, 12), distractors=(0, 0))
    return root


def _constant_estimator(value: float, crash_after: int | None = None) -> Any:
    """A top-down estimator without a model: every keypoint at `value`, counting its calls (one per
    clip); with `crash_after`, it dies on the next call, like a killed run."""
    from posec3d.extract.inference import Poses, TopDownEstimator

    class Constant(TopDownEstimator):
        def __init__(self) -> None:
            self.heatmaps, self.calls = False, 0

        def __call__(self, frames: np.ndarray, boxes: np.ndarray, valid: np.ndarray, batch: int = 64) -> Poses:
            if self.calls == crash_after:
                raise RuntimeError("killed")
            self.calls += 1
            return Poses(np.full((*valid.shape, 17, 2), value, np.float32), np.ones((*valid.shape, 17), np.float32))

    return Constant()


def test_a_video_of_another_size_than_its_index_is_an_error(rendered: Path, tmp_path: Path) -> None:
    import shutil

    from posec3d.extract.clips import load_clips
    from posec3d.extract.extract import Settings, extract_dataset
    from posec3d.video import VideoError

    videos = tmp_path / "videos"
    shutil.copytree(rendered / "videos", videos)
    index = json.loads((videos / "index.json").read_text())
    name = sorted(index["clips"])[0]
    index["clips"][name].update(width=128, height=72, scale=index["clips"][name]["scale"] * 2)
    (videos / "index.json").write_text(json.dumps(index))
    with pytest.raises(VideoError, match=rf"{name}\.avi: frames decode at 64x36 px, but .*index.json records 128x72"):
        extract_dataset(load_clips(rendered / "scenes.npz", videos), tmp_path / "poses.npz", _constant_estimator(1.0),
                        Settings(boxes="gt", estimator="constant"))
    assert not (tmp_path / "poses.npz").exists()


def test_parts_are_reused_only_for_the_same_estimator_weights(rendered: Path, tmp_path: Path) -> None:
    from posec3d.extract.clips import load_clips
    from posec3d.extract.extract import Settings, extract_dataset

    def extract(value: float, weights: str, crash_after: int | None = None) -> tuple[Any, Any]:
        pose = _constant_estimator(value, crash_after)
        summary = extract_dataset(load_clips(rendered / "scenes.npz", rendered / "videos"), tmp_path / "poses.npz",
                                  pose, Settings(boxes="gt", estimator="same/path", weights=weights))
        return summary, pose

    for weights, reused in (("retrained", 0), ("first", 1)):
        with pytest.raises(RuntimeError, match="killed"):
            extract(1.0, "first", crash_after=1)  # one clip's part is left in poses.npz.parts/
        summary, pose = extract(2.0, weights)
        assert (summary.reused, pose.calls) == (reused, 2 - reused)
        clips = load_poses(tmp_path / "poses.npz")["annotations"]
        stale = [clip["frame_dir"] for clip in clips if (clip["keypoint"] == 1.0).any()]
        assert len(stale) == reused


def test_the_weights_digest_follows_the_weight_files(tmp_path: Path) -> None:
    from posec3d.extract.commands import weights_digest

    folder = tmp_path / "hrnet"
    folder.mkdir()
    (folder / "config.py").write_text("default_scope = 'mmpose'\n")
    (folder / "model.pth").write_bytes(b"weights, first training")
    first = weights_digest([str(folder)])
    assert weights_digest([f"{folder}/config.py:{folder}/model.pth"]) == first
    (folder / "model.pth").write_bytes(b"weights, trained again")
    assert weights_digest([str(folder)]) != first
