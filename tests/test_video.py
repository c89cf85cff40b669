"""Videos: the reader on real and broken files, the MJPG writer, and the scene renderer."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import numpy as np
import pytest

from posec3d.storage import load_poses, save_poses
from posec3d.synth import generate, pose_source, synth_config
from posec3d.video import (
    VideoError,
    iter_video,
    read_video,
    render_clip,
    render_dataset,
    video_annotations,
    video_info,
    video_size,
    write_video,
)
from tests.sample_data import NTU_SAMPLE

WIDTH = 160


@pytest.fixture(scope="module")
def scenes_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny K400 analog (bystanders, occluder boxes) as a scenes file."""
    cfg = synth_config("k400", num_classes=2, clips_per_class=2, length_median=20, length_range=[12, 24])
    path = tmp_path_factory.mktemp("scenes") / "scenes.npz"
    save_poses(generate(cfg, seed=0), path)
    return path


@pytest.fixture(scope="module")
def scenes(scenes_file: Path) -> dict:
    return load_poses(scenes_file)


@pytest.fixture(scope="module")
def rendered(scenes_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("videos")
    render_dataset(scenes_file, out, WIDTH, seed=0)
    return out


def test_real_ntu_sample_decodes() -> None:
    assert video_info(NTU_SAMPLE) == (72, 1080, 1920, 30.0)
    count = 0
    for batch in iter_video(NTU_SAMPLE, batch=8):
        assert batch.dtype == np.uint8 and batch.shape[1:] == (1080, 1920, 3) and len(batch) <= 8
        assert batch.std() > 10  # real content, not a blank frame
        count += len(batch)
    assert count == 72


@pytest.mark.parametrize("suffix", [".avi", ".mp4"])
def test_write_read_round_trip(tmp_path: Path, suffix: str) -> None:
    yy, xx = np.mgrid[0:90, 0:160]
    frames = np.stack([np.stack([(xx + 5 * t) % 256, yy * 2, np.full_like(xx, 40 * t)], -1)
                       for t in range(6)]).astype(np.uint8)
    path = tmp_path / f"clip{suffix}"
    write_video(frames, path, fps=25)
    assert video_info(path) == (6, 90, 160, 25.0)
    back = read_video(path)
    assert back.shape == frames.shape and back.dtype == np.uint8
    assert np.abs(back.astype(int) - frames).mean() < 4  # MJPG and MPEG-4 are lossy, but only a little
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_writer_refuses_bad_frames(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="uint8"):
        write_video(np.zeros((3, 8, 8, 3), np.float32), tmp_path / "x.avi", 30)
    with pytest.raises(VideoError, match=r"x.mkv: videos are written as \.avi, \.mp4"):
        write_video(np.zeros((3, 8, 8, 3), np.uint8), tmp_path / "x.mkv", 30)
    assert not list(tmp_path.iterdir())


def test_missing_and_garbage_files(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="no such video file"):
        read_video(tmp_path / "missing.avi")
    garbage = tmp_path / "garbage.avi"
    garbage.write_bytes(b"not a video at all " * 200)
    with pytest.raises(VideoError, match="garbage.avi"):
        read_video(garbage)
    with pytest.raises(VideoError, match="garbage.avi"):
        video_info(garbage)


def test_truncated_file(rendered: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    source = sorted(rendered.glob("*.avi"))[0]
    whole = read_video(source)
    cut = tmp_path / "cut.avi"
    data = source.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.WARNING, logger="posec3d.video.io"):
        part = read_video(cut)
    assert 0 < len(part) < len(whole)
    assert "cut.avi" in caplog.text and "truncated" in caplog.text
    np.testing.assert_array_equal(part[:-1], whole[: len(part) - 1])
    with pytest.raises(VideoError, match="truncated"):
        read_video(cut, strict=True)
    header_only = tmp_path / "header.avi"
    header_only.write_bytes(data[:2000])
    with pytest.raises(VideoError, match="header.avi"):
        read_video(header_only)


def test_render_is_deterministic(scenes: dict) -> None:
    clip = scenes["annotations"][0]
    first = render_clip(clip, scenes["meta"], WIDTH, seed=3)
    h, w, _ = video_size(clip["img_shape"], WIDTH)
    assert first.shape == (clip["total_frames"], h, w, 3) and first.dtype == np.uint8
    np.testing.assert_array_equal(first, render_clip(clip, scenes["meta"], WIDTH, seed=3))
    assert not np.array_equal(first, render_clip(clip, scenes["meta"], WIDTH, seed=4))


def test_visible_joints_are_drawn(scenes: dict) -> None:
    """Every person removed, the same clip renders the same backdrop and noise; the pixels at
    visible ground-truth joints (video pixels) must be where the two renders differ."""
    hits, total = 0, 0
    for clip in scenes["annotations"]:
        empty = copy.copy(clip)
        for key in ("keypoint_3d", "body_aux_3d", "body_shape", "clothing"):
            empty[key] = clip[key][:0]
        with_people = render_clip(clip, scenes["meta"], WIDTH, seed=0).astype(int)
        without = render_clip(empty, scenes["meta"], WIDTH, seed=0).astype(int)
        h, w, scale = video_size(clip["img_shape"], WIDTH)
        gt = video_annotations(clip, scale)
        m, t, j = np.nonzero(gt["visibility"] == 2)
        x = np.clip(np.round(gt["keypoint"][m, t, j, 0]).astype(int), 0, w - 1)
        y = np.clip(np.round(gt["keypoint"][m, t, j, 1]).astype(int), 0, h - 1)
        diff = np.abs(with_people[t, y, x] - without[t, y, x]).sum(-1)
        hits += int((diff > 15).sum())
        total += len(diff)
    assert total > 100
    assert hits / total > 0.9


def test_video_annotations(scenes: dict) -> None:
    clip = scenes["annotations"][0]
    gt = video_annotations(clip, 0.25)
    np.testing.assert_allclose(gt["keypoint"], clip["keypoint"] * 0.25, rtol=1e-6)
    np.testing.assert_allclose(gt["box"], clip["box"] * 0.25, rtol=1e-6)
    score = clip["keypoint_score"]
    assert ((gt["visibility"] == 2) == (score == 1)).all()
    assert ((gt["visibility"] == 0) == (score == 0)).all()
    assert gt["visibility"].dtype == np.int8


def test_render_dataset_resumes(scenes_file: Path, scenes: dict, rendered: Path) -> None:
    index = render_dataset(scenes_file, rendered, WIDTH, seed=0)  # everything there: nothing to do
    names = [c["frame_dir"] for c in scenes["annotations"]]
    assert index["format"] == "posec3d-videos/1" and sorted(index["clips"]) == sorted(names)
    clip = scenes["annotations"][1]
    entry = index["clips"][clip["frame_dir"]]
    assert entry == {"frames": clip["total_frames"], "height": 90, "width": WIDTH, "scale": 0.25}
    stamps = {n: (rendered / f"{n}.avi").stat().st_mtime_ns for n in names}
    (rendered / f"{names[0]}.avi").unlink()
    (rendered / f"{names[1]}.avi").write_bytes(b"broken")
    render_dataset(scenes_file, rendered, WIDTH, seed=0)
    for n in names[2:]:
        assert (rendered / f"{n}.avi").stat().st_mtime_ns == stamps[n]
    for n, c in zip(names[:2], scenes["annotations"][:2]):
        assert video_info(rendered / f"{n}.avi").frames == c["total_frames"]
    np.testing.assert_array_equal(read_video(rendered / f"{names[2]}.avi").shape[1:], (90, WIDTH, 3))


def test_render_dataset_refuses_pose_files(tmp_path: Path, scenes: dict) -> None:
    poses = tmp_path / "poses.npz"
    save_poses(pose_source(scenes, "gt-2d"), poses)
    with pytest.raises(ValueError, match="poses.npz: not a synthetic scenes file"):
        render_dataset(poses, tmp_path / "videos", WIDTH)


def test_render_command(scenes_file: Path, tmp_path: Path) -> None:
    from posec3d.cli import main

    out = tmp_path / "videos"
    assert main(["render", "--scenes", str(scenes_file), "--out", str(out), "--width", "96"]) == 0
    index = (out / "index.json").read_text()
    assert '"width": 96' in index
    assert len(list(out.glob("*.avi"))) == 4
    assert main(["render", "--scenes", str(tmp_path / "none.npz"), "--out", str(out)]) == 2
