"""A user's folder of videos and its labels file -> the clips file (`posec3d index-videos`): what it
records of each real and rendered video, and every mistake a labels file can make, each a
one-line error naming the file, the line and the video, with no clips file left behind."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from posec3d.cli import main
from posec3d.extract.clips import listed_clips
from posec3d.extract.video_list import index_videos, read_labels
from posec3d.video import write_video
from posec3d.video.io import video_writer
from tests.rendered_world import NTU_BOX, video_folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return video_folder(tmp_path_factory.mktemp("videos"))


def _labels(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "labels.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_clips_file_records_each_video_as_it_decodes(folder: tuple[Path, Path], tmp_path: Path) -> None:
    videos, labels = folder
    out = tmp_path / "clips.json"
    summary = index_videos(videos, labels, out, splits=["train", "val"])
    listed = len(labels.read_text().splitlines()) - 1  # the rendered clips and the NTU sample
    assert summary.listed == summary.indexed == listed and not summary.counts
    data = json.loads(out.read_text())
    ntu = next(c for c in data["clips"] if c["video"] == "ntu_sample.avi")
    assert (ntu["height"], ntu["width"], ntu["frames"], ntu["fps"]) == (1080, 1920, 72, 30.0)
    assert ntu["box"] == list(NTU_BOX) and ntu["split"] == "val"
    gym = [c for c in data["clips"] if c["video"].endswith(".mp4")]
    assert len(gym) == listed - 1 and all((c["height"], c["width"], c["fps"]) == (90, 160, 15.0) for c in gym)
    assert data["classes"] == sorted(data["classes"]) and len(data["classes"]) == 2  # names, sorted
    assert sorted(data["split"]) == ["train", "val"] and sum(map(len, data["split"].values())) == listed
    clips = listed_clips(out)
    (source,) = [c for c in clips if c.name == "ntu_sample"]
    assert source.path == videos / "ntu_sample.avi" and source.gt_box is None and source.frames is None
    assert source.record["fps"] == 30.0 and source.seeds[0][0] == 0
    np.testing.assert_array_equal(source.seeds[0][1], np.float32(NTU_BOX))
    assert clips.meta["classes"] == data["classes"]


def test_label_map_and_class_indices(folder: tuple[Path, Path], tmp_path: Path) -> None:
    videos, _ = folder
    labels = _labels(tmp_path, "video,label,split", "ntu_sample.avi,1,val")
    index_videos(videos, labels, tmp_path / "a.json")
    assert json.loads((tmp_path / "a.json").read_text())["classes"] is None  # indices without names
    index_videos(videos, labels, tmp_path / "b.json", classes=["sit", "stand"])
    data = json.loads((tmp_path / "b.json").read_text())
    assert data["classes"] == ["sit", "stand"] and data["clips"][0]["label"] == 1
    named = _labels(tmp_path, "video,label,split", "ntu_sample.avi,stand,val")
    index_videos(videos, named, tmp_path / "c.json", classes=["sit", "stand"])
    assert json.loads((tmp_path / "c.json").read_text())["clips"][0]["label"] == 1


MISTAKES = {
    "no_split_column": (["video,label", "a.mp4,x"], "needs the columns video, label, split (missing split"),
    "empty_label": (["video,label,split", "ntu_sample.avi,,val"], "line 2: empty label (video 'ntu_sample.avi')"),
    "twice": (["video,label,split", "ntu_sample.avi,x,val", "ntu_sample.avi,y,train"],
              "line 3: video 'ntu_sample.avi' is listed twice (also line 2)"),
    "same_name": (["video,label,split", "ntu_sample.avi,x,val", "ntu_sample.mp4,y,train"],
                  "line 3: videos 'ntu_sample.mp4' and 'ntu_sample.avi' (line 2) share the name 'ntu_sample'"),
    "unknown_split": (["video,label,split", "ntu_sample.avi,x,tset"],
                      "line 2: split 'tset' of video 'ntu_sample.avi' is not one of the dataset's splits: train, val"),
    "missing_video": (["video,label,split", "ntu_sample.avi,x,val", "gone.mp4,x,train"],
                      "1 listed video(s) not in"),
    "bad_box": (["video,label,split,x1,y1,x2,y2", "ntu_sample.avi,x,val,10,10,5,20"],
                "line 2: the box of video 'ntu_sample.avi' must have x2 > x1"),
    "half_box": (["video,label,split,x1,y1", "ntu_sample.avi,x,val,1,2"], "a box needs all of the columns"),
    "mixed_labels": (["video,label,split", "ntu_sample.avi,3,val", "other.avi,jump,val"], "is a number, others"),
    "nothing": (["video,label,split"], "the labels file lists no video"),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_labels_file_mistakes_are_one_line_errors_with_no_output(folder: tuple[Path, Path], tmp_path: Path,
                                                                  name: str, capsys: pytest.CaptureFixture) -> None:
    videos, _ = folder
    lines, message = MISTAKES[name]
    mine = tmp_path / "videos"
    shutil.copytree(videos, mine)
    shutil.copy(mine / "ntu_sample.avi", mine / "other.avi")
    labels = _labels(tmp_path, *lines)
    out = tmp_path / "clips.json"
    argv = ["index-videos", "--videos", str(mine), "--labels", str(labels), "--splits", "train", "val",
            "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(labels) in err and message in err, err
    assert not out.exists() and not list(tmp_path.glob(".*clips*"))


def test_undecodable_and_empty_videos_are_left_out_named_and_counted(
        folder: tuple[Path, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    videos, _ = folder
    mine = tmp_path / "videos"
    mine.mkdir()
    shutil.copy(videos / "ntu_sample.avi", mine)
    (mine / "broken.mp4").write_bytes(b"not a video at all")
    (mine / "zero.webm").write_bytes(b"")
    write_video(np.zeros((2, 16, 16, 3), np.uint8), mine / "short.avi", fps=10)
    with video_writer(mine / "no_frames.avi", 10, (16, 16)):
        pass  # a container with no frame in it
    labels = _labels(tmp_path, "video,label,split", "ntu_sample.avi,a,val", "broken.mp4,a,train",
                     "zero.webm,b,train", "short.avi,b,train", "no_frames.avi,b,val")
    summary = index_videos(mine, labels, tmp_path / "clips.json")
    assert (summary.listed, summary.indexed) == (5, 2)
    assert dict(summary.counts) == {"undecodable": 1, "empty": 2}
    assert summary.line() == "5 videos listed, 2 indexed: empty 2, undecodable 1"
    for bad in ("broken.mp4", "zero.webm", "no_frames.avi"):
        assert sum(bad in r.getMessage() and "left out" in r.getMessage() for r in caplog.records) == 1, bad
    data = json.loads((tmp_path / "clips.json").read_text())
    assert [c["video"] for c in data["clips"]] == ["ntu_sample.avi", "short.avi"]
    only_bad = _labels(tmp_path, "video,label,split", "broken.mp4,a,train")
    with pytest.raises(ValueError, match="none of the 1 listed videos can be read"):
        index_videos(mine, only_bad, tmp_path / "none.json")
    assert not (tmp_path / "none.json").exists()


def test_read_labels_keeps_boxes_and_frames(tmp_path: Path) -> None:
    labels = _labels(tmp_path, "video,label,split,x1,y1,x2,y2,box_frame", "sub/a.mp4,x,train,1,2,30,40,3",
                     "b.mkv,y,val,,,,,")
    a, b = read_labels(labels, ["train", "val"])
    assert (a.frame_dir, a.box, a.box_frame) == ("sub/a", [1.0, 2.0, 30.0, 40.0], 3)
    assert (b.frame_dir, b.box) == ("b", None)
