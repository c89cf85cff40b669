"""Pose extraction: box sources, batched inference with tiny random mmdet/mmpose models, the
resumable driver, broken videos and the CLI, on a tiny synthetic FineGYM analog rendered to video."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from posec3d.estimators.train import estimator_config
from posec3d.extract.boxes import detection_boxes, gt_boxes, tracking_boxes
from posec3d.extract.clips import load_clips, synthetic_clips
from posec3d.extract.extract import Settings, extract_dataset
from posec3d.extract.inference import BottomUpEstimator, PersonDetector, TopDownEstimator
from posec3d.storage import load_poses, save_poses
from posec3d.video.io import read_video, write_video
from tests.estimator_folders import save_estimator
from tests.rendered_world import NTU_BOX, render_gym, video_folder


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Scenes of 4 short clips rendered 160 px wide, and tiny random estimators built from the kept configs."""
    from mmdet.apis import init_detector
    from mmpose.apis import init_model

    root = tmp_path_factory.mktemp("extract")
    render_gym(root, 160, num_classes=2, clips_per_class=2, length_median=14, length_range=(10, 16), distractors=(1, 1))
    torch.manual_seed(0)
    torch.set_num_threads(1)
    models = {name: (init_detector if name == "detector" else init_model)(estimator_config(name), None, device="cpu")
              for name in ("detector", "hq", "bu")}
    return {"root": root, "scenes": load_poses(root / "scenes.npz"), "models": models}


def _extract(world: dict, out: Path, boxes: str = "gt", videos: Path | None = None, **kw) -> dict:
    models = world["models"]
    heatmaps = kw.pop("heatmaps", False)
    pose = BottomUpEstimator(models["bu"]) if boxes == "none" else TopDownEstimator(models["hq"], heatmaps)
    settings = Settings(boxes=boxes, estimator="hq", heatmaps=getattr(pose, "heatmaps", False), score_thr=0.0)
    scenes = kw.pop("scenes", world["root"] / "scenes.npz")
    detector = kw.pop("detector", None) or PersonDetector(models["detector"])
    clips = load_clips(scenes, videos or world["root"] / "videos")
    summary = extract_dataset(clips, out, kw.pop("pose", pose), settings, detector=detector, batch=16, **kw)
    return {"summary": summary, "poses": load_poses(out)}


def test_gt_boxes_scale_into_the_video_and_keep_the_persons_of_interest(world: dict) -> None:
    clip = world["scenes"]["annotations"][0]
    boxes = gt_boxes(clip, 0.125)
    poi = np.asarray(clip["poi"], bool)
    assert boxes.box.shape == (poi.sum(), clip["total_frames"], 4)
    np.testing.assert_allclose(boxes.box, np.asarray(clip["box"])[poi] * 0.125, rtol=1e-6)
    in_view = np.asarray(clip["box"])[poi][..., 2] > 0
    np.testing.assert_array_equal(boxes.valid, in_view)


def test_gt_extraction_is_a_valid_pose_file_in_video_pixels(world: dict, tmp_path: Path) -> None:
    out = _extract(world, tmp_path / "hq-gt.npz")
    poses, scenes = out["poses"], world["scenes"]
    assert not (tmp_path / "hq-gt.npz.parts").exists()
    assert poses["split"] == scenes["split"]
    assert poses["meta"]["extraction"]["boxes"] == "gt"
    for clip, scene in zip(poses["annotations"], scenes["annotations"]):
        m, t = int(np.sum(scene["poi"])), scene["total_frames"]
        assert clip["frame_dir"] == scene["frame_dir"] and clip["label"] == scene["label"]
        assert clip["keypoint"].shape == (m, t, 17, 2) and clip["keypoint_score"].shape == (m, t, 17)
        assert clip["img_shape"] == (90, 160) and clip["original_shape"] == scene["original_shape"]
        no_box = ~gt_boxes(scene, 160 / 1280).valid
        assert not clip["keypoint"][no_box].any() and not clip["keypoint_score"][no_box].any()
    again = _extract(world, tmp_path / "again.npz")["poses"]  # deterministic
    for a, b in zip(poses["annotations"], again["annotations"]):
        np.testing.assert_array_equal(a["keypoint"], b["keypoint"])


def _walker(start: float, step: float, steps: int) -> np.ndarray:
    x = start + step * np.arange(steps, dtype=np.float32)
    return np.stack([x, np.full(steps, 10.0), x + 20, np.full(steps, 60.0)], axis=1).astype(np.float32)


def test_detection_rows_follow_each_person_whatever_the_detection_order() -> None:
    steps = 12
    a, b, ghost = _walker(0, 2, steps), _walker(100, -1, steps), np.array([200, 10, 220, 60], np.float32)
    rng = np.random.default_rng(0)
    frames = []
    for t in range(steps):
        boxes, scores = [a[t], b[t]], [0.9, 0.8]
        if t == 5:  # a distractor seen once
            boxes.append(ghost)
            scores.append(0.95)
        order = rng.permutation(len(boxes))
        frames.append((np.stack(boxes)[order], np.float32(scores)[order]))
    found = detection_boxes(frames, score_thr=0.5, max_persons=2)
    assert found.box.shape == (2, steps, 4) and found.valid.all()
    np.testing.assert_allclose(found.box[0], a)  # highest total score first
    np.testing.assert_allclose(found.box[1], b)
    three = detection_boxes(frames, score_thr=0.5, max_persons=3)
    assert three.valid[2].sum() == 1 and np.allclose(three.box[2, 5], ghost)
    nothing = detection_boxes([(np.zeros((0, 4), np.float32), np.zeros(0, np.float32))] * 3, 0.5, 2)
    assert nothing.box.shape == (1, 3, 4) and not nothing.valid.any()


def test_tracking_starts_from_the_gt_box_in_the_first_visible_frame(tmp_path: Path) -> None:
    steps = 10
    target, other = _walker(0, 3, steps), _walker(60, -3, steps)
    gt = np.zeros((2, steps, 4), np.float32)
    gt[0, 2:] = target[2:] * 2  # original pixels; scale 0.5 brings them into the video
    clip = {"frame_dir": "c", "label": 0, "total_frames": steps, "img_shape": (200, 400),
            "poi": np.array([True, False]), "box": gt, "keypoint": np.zeros((2, steps, 17, 2), np.float32),
            "keypoint_score": np.zeros((2, steps, 17), np.float32)}
    (tmp_path / "index.json").write_text(json.dumps({"width": 200, "clips": {
        "c": {"frames": steps, "height": 100, "width": 200, "scale": 0.5}}}))
    (source,) = synthetic_clips({"split": {}, "annotations": [clip]}, tmp_path)
    assert source.seeds[0][0] == 2 and source.path == tmp_path / "c.avi"
    frames = [(np.stack([other[t], target[t] + 1]), np.float32([0.9, 0.7])) for t in range(steps)]
    found = tracking_boxes(frames, source.seeds, score_thr=0.5)
    assert found.box.shape == (1, steps, 4)
    assert not found.valid[0, :2].any() and found.valid[0, 2:].all()
    np.testing.assert_allclose(found.box[0, 2], target[2])  # the GT seed itself
    np.testing.assert_allclose(found.box[0, 3:], target[3:] + 1)  # then the matching detections
    never = tracking_boxes(frames, [(-1, np.zeros(4, np.float32))], score_thr=0.5)  # a person never in view
    assert never.box.shape == (1, steps, 4) and not never.valid.any()


def test_detection_and_tracking_extraction(world: dict, tmp_path: Path) -> None:
    det = _extract(world, tmp_path / "det.npz", boxes="detection")["poses"]
    for clip in det["annotations"]:
        assert 1 <= clip["keypoint"].shape[0] <= 2 and clip["box"].shape[:2] == clip["keypoint"].shape[:2]
        no_box = ~(clip["box"][..., 2] > clip["box"][..., 0])
        assert not clip["keypoint_score"][no_box].any()
    track = _extract(world, tmp_path / "track.npz", boxes="tracking")["poses"]
    for clip, scene in zip(track["annotations"], world["scenes"]["annotations"]):
        assert clip["keypoint"].shape[0] == int(np.sum(scene["poi"]))
        first = np.flatnonzero(gt_boxes(scene, 0.125).valid[0])[0]
        np.testing.assert_allclose(clip["box"][0, first], gt_boxes(scene, 0.125).box[0, first])


def test_heatmap_variant_stores_heatmaps_and_the_region_they_cover(world: dict, tmp_path: Path) -> None:
    poses = _extract(world, tmp_path / "hm.npz", heatmaps=True)["poses"]
    for clip in poses["annotations"]:
        m, t = clip["keypoint"].shape[:2]
        assert clip["heatmap"].dtype == np.uint8 and clip["heatmap"].shape == (m, t, 17, 32, 24)
        assert clip["heatmap_box"].shape == (m, t, 4)
        valid = clip["box"][..., 2] > clip["box"][..., 0]
        assert not clip["heatmap"][~valid].any() and not clip["heatmap_box"][~valid].any()
        hb, box = clip["heatmap_box"][valid], clip["box"][valid]
        assert (hb[:, :2] <= box[:, :2] + 1e-3).all() and (hb[:, 2:] >= box[:, 2:] - 1e-3).all()
        aspect = (hb[:, 3] - hb[:, 1]) / (hb[:, 2] - hb[:, 0])
        np.testing.assert_allclose(aspect, 64 / 48, rtol=1e-4)  # the 48x64 input crop


class _Crash(TopDownEstimator):
    """A real estimator that dies after `clips` clips, like a killed run."""

    def __init__(self, model: torch.nn.Module, clips: int) -> None:
        super().__init__(model)
        self.left, self.calls = clips, 0

    def __call__(self, *args, **kw):
        if self.left == 0:
            raise RuntimeError("killed")
        self.left -= 1
        self.calls += 1
        return super().__call__(*args, **kw)


def test_a_killed_run_resumes_from_its_parts(world: dict, tmp_path: Path) -> None:
    out = tmp_path / "resume.npz"
    with pytest.raises(RuntimeError, match="killed"):
        _extract(world, out, pose=_Crash(world["models"]["hq"], 2))
    assert not out.exists() and len(list((tmp_path / "resume.npz.parts").glob("*.npz"))) == 2
    counting = _Crash(world["models"]["hq"], -1)
    result = _extract(world, out, pose=counting)
    assert result["summary"].reused == 2 and counting.calls == 2
    assert not (tmp_path / "resume.npz.parts").exists()
    fresh = _extract(world, tmp_path / "fresh.npz")["poses"]
    for a, b in zip(result["poses"]["annotations"], fresh["annotations"]):
        np.testing.assert_array_equal(a["keypoint"], b["keypoint"])
        np.testing.assert_array_equal(a["keypoint_score"], b["keypoint_score"])


def test_missing_truncated_and_undecodable_videos_give_zeros_a_log_line_and_a_count(
        world: dict, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    videos = tmp_path / "videos"
    shutil.copytree(world["root"] / "videos", videos)
    names = [c["frame_dir"] for c in world["scenes"]["annotations"]]
    (videos / f"{names[0]}.avi").unlink()
    (videos / f"{names[1]}.avi").write_bytes(b"not a video at all")
    frames = read_video(videos / f"{names[2]}.avi")
    write_video(frames[:5], videos / f"{names[2]}.avi", fps=25)
    with caplog.at_level(logging.WARNING):
        result = _extract(world, tmp_path / "broken.npz", videos=videos)
    counts = result["summary"].counts
    assert (counts["missing"], counts["undecodable"], counts["truncated"]) == (1, 1, 1)
    assert result["poses"]["meta"]["extraction"]["summary"]["missing"] == 1
    text = caplog.text
    assert f"clip {names[0]}: missing video" in text and f"clip {names[1]}: undecodable video" in text
    assert f"clip {names[2]}: truncated video: 5 of" in text
    clips = result["poses"]["annotations"]
    assert not clips[0]["keypoint"].any() and not clips[1]["keypoint_score"].any()
    assert clips[0]["img_shape"] == (90, 160)
    assert clips[2]["keypoint_score"][:, :5].any() and not clips[2]["keypoint_score"][:, 5:].any()


def test_bottom_up_extraction_links_persons_into_rows(world: dict, tmp_path: Path) -> None:
    scenes = dict(world["scenes"])
    scenes["annotations"] = scenes["annotations"][:1]
    scenes["split"] = {}
    save_poses(scenes, tmp_path / "one.npz")
    poses = _extract(world, tmp_path / "bu.npz", boxes="none", scenes=tmp_path / "one.npz")["poses"]
    clip = poses["annotations"][0]
    assert clip["keypoint"].shape[1:] == (clip["total_frames"], 17, 2) and 1 <= clip["keypoint"].shape[0] <= 2
    assert poses["meta"]["extraction"]["boxes"] == "none"


def test_box_source_must_fit_the_estimator(world: dict, tmp_path: Path) -> None:
    clips = load_clips(world["root"] / "scenes.npz", world["root"] / "videos")
    with pytest.raises(ValueError, match="bottom-up"):
        extract_dataset(clips, tmp_path / "x.npz", TopDownEstimator(world["models"]["hq"]),
                        Settings(boxes="none", estimator="hq"))
    with pytest.raises(ValueError, match="needs a person detector"):
        extract_dataset(clips, tmp_path / "x.npz", TopDownEstimator(world["models"]["hq"]),
                        Settings(boxes="tracking", estimator="hq"))


def test_cli_extracts_with_estimator_folders(world: dict, tmp_path: Path) -> None:
    from posec3d.cli import main

    pose = save_estimator(world["models"]["hq"], tmp_path / "hq")
    detector = save_estimator(world["models"]["detector"], tmp_path / "detector")
    out = tmp_path / "poses" / "hq-tracking.npz"
    argv = ["extract", "--scenes", str(world["root"] / "scenes.npz"), "--videos", str(world["root"] / "videos"),
            "--pose", str(pose), "--detector", f"{detector}/config.py:{detector}/model.pth",
            "--boxes", "tracking", "--out", str(out), "--batch", "16", "--score-threshold", "0.0", "--threads", "1"]
    assert main(argv) == 0
    poses = load_poses(out)
    assert poses["meta"]["extraction"]["boxes"] == "tracking" and len(poses["annotations"]) == 4
    direct = _extract(world, tmp_path / "direct.npz", boxes="tracking")["poses"]
    for a, b in zip(poses["annotations"], direct["annotations"]):
        np.testing.assert_array_equal(a["keypoint"], b["keypoint"])
    wrong = ["extract", "--scenes", str(world["root"] / "scenes.npz"), "--videos", str(world["root"] / "videos"),
             "--pose", str(pose), "--boxes", "detection", "--out", str(tmp_path / "x.npz")]
    assert main(wrong) == 2 and not (tmp_path / "x.npz").exists()  # detection boxes need --detector


def test_stored_detections_give_what_the_detector_gives(world: dict, tmp_path: Path) -> None:
    """One `posec3d detect` pass serves Detection and Tracking boxes: each extraction from the stored
    boxes equals the one that runs the detector itself (same frames per forward, so bit-identical)."""
    from posec3d.cli import main
    from posec3d.extract.detections import StoredDetections

    detector = save_estimator(world["models"]["detector"], tmp_path / "detector")
    stored = tmp_path / "detections" / "detector.npz"
    argv = ["detect", "--scenes", str(world["root"] / "scenes.npz"), "--videos", str(world["root"] / "videos"),
            "--detector", str(detector), "--out", str(stored), "--batch", "2", "--threads", "1"]
    assert main(argv) == 0 and [p.name for p in stored.parent.iterdir()] == ["detector.npz"]
    detections = StoredDetections(stored)
    for boxes in ("detection", "tracking"):
        live = _extract(world, tmp_path / f"live-{boxes}.npz", boxes=boxes)["poses"]
        read = _extract(world, tmp_path / f"read-{boxes}.npz", boxes=boxes, detector=detections)["poses"]
        for a, b in zip(live["annotations"], read["annotations"], strict=True):
            np.testing.assert_array_equal(a["box"], b["box"])
            np.testing.assert_array_equal(a["keypoint"], b["keypoint"])
    with pytest.raises(ValueError, match="no detections for clip 'nope'"):
        detections.of_clip("nope")
    broken = tmp_path / "broken.npz"
    np.savez(broken, frame_dirs=np.array(["a"]), frames=np.array([2]), counts=np.array([1]),
             boxes=np.zeros((1, 4), np.float32), scores=np.zeros(1, np.float32), weights=np.array("w"))
    with pytest.raises(ValueError, match="broken.npz: detections file is inconsistent"):
        StoredDetections(broken)


def test_detection_selection_drops_small_boxes_and_short_tracks() -> None:
    """The person-selection rule of Detection boxes: min_area, min_frames, then the best tracks."""
    steps = 12
    big, small = _walker(0, 2, steps), _walker(100, 0, steps) * np.float32([1, 1, 0.2, 0.4])
    small[:, 2:] = small[:, :2] + 4  # a 4x4 box: 16 square pixels
    blip = np.array([200, 10, 240, 60], np.float32)  # a large box seen in two frames only
    frames = []
    for t in range(steps):
        boxes, scores = [big[t], small[t]], [0.8, 0.99]
        if t in (3, 4):
            boxes.append(blip)
            scores.append(0.99)
        frames.append((np.stack(boxes), np.float32(scores)))
    everyone = detection_boxes(frames, score_thr=0.5, max_persons=3)
    assert everyone.box.shape[0] == 3
    np.testing.assert_allclose(everyone.box[0], small)  # the small box scores highest in total
    kept = detection_boxes(frames, score_thr=0.5, max_persons=3, min_area=100, min_frames=3)
    assert kept.box.shape == (1, steps, 4) and kept.valid.all()
    np.testing.assert_allclose(kept.box[0], big)


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A user's folder of videos (rendered .mp4 clips and the real 1080p NTU sample), indexed."""
    from posec3d.extract.video_list import index_videos

    root = tmp_path_factory.mktemp("listed")
    videos, labels = video_folder(root)
    index_videos(videos, labels, root / "clips.json", splits=["train", "val"])
    return {"root": root, "clips": load_clips(clips=root / "clips.json")}


def _extract_listed(world: dict, listed: dict, out: Path, boxes: str, **kw) -> dict:
    settings = Settings(boxes=boxes, estimator="hq", score_thr=kw.pop("score_thr", 0.0))
    summary = extract_dataset(kw.pop("clips", listed["clips"]), out, TopDownEstimator(world["models"]["hq"]),
                              settings, detector=PersonDetector(world["models"]["detector"]), batch=16, **kw)
    return {"summary": summary, "poses": load_poses(out)}


def test_listed_videos_extract_with_their_own_size_fps_and_classes(world: dict, listed: dict, tmp_path: Path) -> None:
    for boxes in ("detection", "tracking"):
        out = _extract_listed(world, listed, tmp_path / f"{boxes}.npz", boxes)
        poses = out["poses"]
        assert poses["meta"]["classes"] == listed["clips"].meta["classes"]
        assert sorted(poses["split"]) == ["train", "val"]
        by_name = {c["frame_dir"]: c for c in poses["annotations"]}
        ntu = by_name["ntu_sample"]
        assert ntu["img_shape"] == (1080, 1920) and ntu["fps"] == 30.0 and ntu["total_frames"] == 72
        assert ntu["keypoint"].shape[1:] == (72, 17, 2)
        gym = [c for name, c in by_name.items() if name != "ntu_sample"]
        assert all(c["img_shape"] == (90, 160) and c["fps"] == 15.0 for c in gym)
        if boxes == "tracking":  # the labels file's first-frame box is where the track starts
            np.testing.assert_allclose(ntu["box"][0, 0], NTU_BOX)
            assert ntu["keypoint_score"][0, 0].any()


def test_listed_videos_have_no_gt_boxes_and_tracking_needs_a_box(world: dict, listed: dict, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no ground-truth person boxes"):
        _extract_listed(world, listed, tmp_path / "gt.npz", "gt")
    clips = listed["clips"]
    clips.clips[0].seeds, seeds = (), clips.clips[0].seeds
    try:
        with pytest.raises(ValueError, match=f"which 1 video\\(s\\) lack: {clips.clips[0].name}"):
            _extract_listed(world, listed, tmp_path / "t.npz", "tracking")
    finally:
        clips.clips[0].seeds = seeds
    assert not (tmp_path / "gt.npz").exists() and not (tmp_path / "t.npz").exists()


def test_a_video_with_nobody_in_it_is_named_counted_and_zero(world: dict, listed: dict, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        out = _extract_listed(world, listed, tmp_path / "nobody.npz", "detection", score_thr=1.0)
    assert out["summary"].counts["empty"] == len(listed["clips"])
    assert "clip ntu_sample: no person found in any frame" in caplog.text
    assert all(not c["keypoint_score"].any() for c in out["poses"]["annotations"])


def test_streaming_in_small_chunks_gives_the_same_poses(world: dict, listed: dict, tmp_path: Path) -> None:
    """Frames stream through in chunks; the chunk changes only which crops share a forward (float
    rounding), never which boxes or frames are used."""
    whole = _extract_listed(world, listed, tmp_path / "whole.npz", "detection")["poses"]
    small = _extract_listed(world, listed, tmp_path / "small.npz", "detection", chunk=4)["poses"]
    for a, b in zip(whole["annotations"], small["annotations"], strict=True):
        np.testing.assert_array_equal(a["box"], b["box"])
        np.testing.assert_allclose(a["keypoint"], b["keypoint"], atol=1e-2)


def test_tracks_forget_their_history_without_changing_a_result() -> None:
    """mmdet's ByteTracker keeps every frame of a live track; ours keeps the last few, so memory
    does not grow with a video's length, and links every detection exactly as the untrimmed one."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    from posec3d.extract import tracking

    rng = np.random.default_rng(0)
    steps = 80
    walkers = [_walker(60 * i, 1.0 + 0.5 * i, steps) for i in range(3)]  # never on top of each other
    frames = []
    for t in range(steps):
        noise = rng.uniform(0, 200, (4, 2)).astype(np.float32)
        boxes = [w[t] for w in walkers if rng.random() > 0.1] + [np.concatenate([n, n + 30]) for n in noise]
        frames.append((np.stack(boxes).astype(np.float32), rng.uniform(0.3, 1.0, len(boxes)).astype(np.float32)))
    trimmed = tracking.link(frames, score_thr=0.5)
    untrimmed, tracker = [], tracking._tracker(0.5, 30)
    for frame_id, (boxes, scores) in enumerate(frames):  # mmdet's tracker as it is, memo and all
        sample = DetDataSample(metainfo=dict(frame_id=frame_id))
        sample.pred_instances = InstanceData(bboxes=torch.as_tensor(boxes), scores=torch.as_tensor(scores),
                                             labels=torch.zeros(len(scores), dtype=torch.long))
        result = tracker.track(sample)
        untrimmed.append({int(i): int(np.flatnonzero((boxes == b).all(axis=1))[0])
                          for i, b in zip(result.instances_id.tolist(), result.bboxes.numpy())})
    assert trimmed == untrimmed
    assert max(len(track["bboxes"]) for track in tracker.tracks.values()) > tracker.num_tentatives
    short = tracking._tracker(0.5, 30)
    for frame_id, (boxes, scores) in enumerate(frames):
        tracking._step(short, frame_id, boxes, scores)
    assert max(len(track["bboxes"]) for track in short.tracks.values()) <= short.num_tentatives
