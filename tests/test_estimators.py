"""Estimators: kept configs build real mmdet/mmpose models, COCO frames export, training,
COCO AP evaluation and loading, on a tiny rendered set with tiny widths."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from posec3d.estimators.commands import parse_overrides
from posec3d.estimators.evaluate import evaluate_estimator
from posec3d.estimators.frames import FrameSource, export_frames, frame_indices
from posec3d.estimators.load import load_detector, load_estimator, load_pose_estimator
from posec3d.estimators.train import CONFIGS, estimator_config, train_estimator
from tests.rendered_world import render_gym

torch.set_num_threads(1)

# Tiny widths: every kept config, a few thousand parameters.
TINY_HRNET = {
    "model.backbone.extra.stage1.num_channels": [4],
    "model.backbone.extra.stage1.num_blocks": [1],
    "model.backbone.extra.stage2.num_channels": [4, 8],
    "model.backbone.extra.stage2.num_blocks": [1, 1],
    "model.backbone.extra.stage3.num_channels": [4, 8, 16],
    "model.backbone.extra.stage3.num_blocks": [1, 1, 1],
}
TINY = {
    "detector": {"model.backbone.base_channels": 8, "model.neck.in_channels": [8, 16, 32, 64],
                 "train_dataloader.batch_size": 2},
    "hq": {**TINY_HRNET, "model.backbone.extra.stage4.num_channels": [4, 8, 16],
           "model.backbone.extra.stage4.num_blocks": [1, 1, 1], "model.head.in_channels": 4,
           "model.head.deconv_out_channels": [4], "train_dataloader.batch_size": 8},
    "lq": {"model.backbone.widen_factor": 0.125, "model.head.in_channels": 16,
           "model.head.deconv_out_channels": [8, 8, 8], "train_dataloader.batch_size": 8},
    "bu": {**TINY_HRNET, "model.backbone.extra.stage4.num_channels": [4, 8, 16, 32],
           "model.backbone.extra.stage4.num_blocks": [1, 1, 1, 1], "model.head.in_channels": 60,
           "model.head.gfd_channels": 8, "train_dataloader.batch_size": 2},
}


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A COCO frames folder from a tiny rendered gym analog (train and val splits)."""
    root = tmp_path_factory.mktemp("estimators")
    render_gym(root, 128, num_classes=2, clips_per_class=3, length_median=12, length_range=(8, 14), distractors=(0, 1))
    export_frames([FrameSource(root / "scenes.npz", root / "videos", train=["train"], val=["val"])],
                  root / "frames", every=4)
    return root / "frames"


def test_frame_indices_are_every_kth_from_a_fixed_offset() -> None:
    a = frame_indices(50, 8, "clip_a", seed=0)
    assert a == frame_indices(50, 8, "clip_a", seed=0)
    assert np.all(np.diff(a) == 8) and 0 <= a[0] < 8 and a[-1] < 50
    assert frame_indices(3, 8, "short", seed=0)  # a clip shorter than the stride still gives a frame
    with pytest.raises(ValueError, match="every"):
        frame_indices(10, 0, "x", seed=0)


def test_frames_export_is_valid_coco(frames: Path) -> None:
    from xtcocotools.coco import COCO

    for part in ("train", "val"):
        coco = COCO(str(frames / f"{part}.json"))
        assert coco.getImgIds() and coco.getAnnIds()
        assert coco.loadCats(1)[0]["keypoints"][0] == "nose"
        for ann in coco.loadAnns(coco.getAnnIds()):
            image = coco.loadImgs(ann["image_id"])[0]
            assert (frames / "images" / image["file_name"]).is_file()
            x, y, w, h = ann["bbox"]
            assert w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= image["width"] + 1
            kps = np.array(ann["keypoints"]).reshape(17, 3)
            assert set(np.unique(kps[:, 2])) <= {0, 1, 2}
            assert ann["num_keypoints"] == int((kps[:, 2] > 0).sum())
    train, val = (json.loads((frames / f"{p}.json").read_text()) for p in ("train", "val"))
    assert not {i["id"] for i in train["images"]} & {i["id"] for i in val["images"]}


def test_frames_bad_split_names_the_file(frames: Path) -> None:
    root = frames.parent
    with pytest.raises(KeyError, match="no split 'xsub_train'"):
        export_frames([FrameSource(root / "scenes.npz", root / "videos", train=["xsub_train"])], root / "bad")


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_configs_build_real_models_that_run(name: str, frames: Path) -> None:
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DefaultScope, init_default_scope
    from mmengine.runner import Runner

    cfg = estimator_config(name, frames, iters=1, overrides=TINY[name])
    init_default_scope(cfg.default_scope)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = _build(cfg)
        loader = Runner.build_dataloader(cfg.train_dataloader)
        batch = next(iter(loader))
        losses = model.train_step(batch, _optim(model))
        assert all(torch.isfinite(v).all() for k, v in losses.items() if k.startswith("loss"))
        model.eval()
        test_batch = pseudo_collate([Runner.build_dataloader(cfg.test_dataloader).dataset[0]])
        out = model.test_step(test_batch)
    assert len(out) == 1


def _build(cfg):  # noqa: ANN001, ANN202 - mmengine objects
    from mmengine.registry import MODELS

    return MODELS.build(cfg.model)


def _optim(model):  # noqa: ANN001, ANN202
    from mmengine.optim import OptimWrapper

    return OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))


@pytest.mark.parametrize("name", ["hq", "detector"])
def test_train_evaluate_load_round_trip(name: str, frames: Path, tmp_path: Path) -> None:
    out = tmp_path / name
    meta = train_estimator(name, frames, out, iters=3, overrides=TINY[name], log_interval=1)
    assert meta["iters"] == 3
    assert {"model.pth", "config.py", "train.log"} <= {p.name for p in out.iterdir()}
    assert "Iter(train) [3/3]" in (out / "train.log").read_text()
    metrics = evaluate_estimator(out)
    assert metrics["kind"] == ("box" if name == "detector" else "keypoint")
    assert 0.0 <= metrics["AP"] <= 1.0 and 0.0 <= metrics["AP50"] <= 1.0
    assert json.loads((out / "metrics.json").read_text())["AP"] == metrics["AP"]

    # The same weights through mmdet/mmpose's loaders give the same outputs, twice.
    first, second = load_estimator(out), load_estimator(out)
    x = torch.rand(1, 3, 64, 48) if name == "hq" else torch.rand(1, 3, 96, 128)
    with torch.no_grad():
        a = first.extract_feat(x)
        b = second.extract_feat(x)
    for u, v in zip(a, b):
        assert torch.equal(u, v)
    state = torch.load(out / "model.pth", weights_only=True)["state_dict"]
    assert all(torch.equal(t, first.state_dict()[k]) for k, t in state.items())


def test_bad_checkpoint_is_named(frames: Path, tmp_path: Path) -> None:
    config = estimator_config("hq", frames, overrides=TINY["hq"])
    config.dump(str(tmp_path / "config.py"))
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        load_pose_estimator(tmp_path / "config.py", tmp_path / "nope.pth")
    (tmp_path / "broken.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="broken.pth"):
        load_pose_estimator(tmp_path / "config.py", tmp_path / "broken.pth")
    with pytest.raises(FileNotFoundError, match="no_config.py"):
        load_detector(tmp_path / "no_config.py", tmp_path / "broken.pth")
    with pytest.raises(FileNotFoundError, match="model.pth"):
        load_estimator(tmp_path)


def test_overrides_and_config_errors(frames: Path, tmp_path: Path) -> None:
    assert parse_overrides(["train_dataloader.batch_size=4", "model.neck.in_channels=[1, 2]"]) == {
        "train_dataloader.batch_size": 4, "model.neck.in_channels": [1, 2]}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_overrides(["oops"])
    cfg = estimator_config("detector", frames, iters=40)
    assert cfg.train_cfg.max_iters == 40
    assert [s["end"] for s in cfg.param_scheduler] == [8, 40]
    with pytest.raises(FileNotFoundError, match="no_such_config"):
        estimator_config("no_such_config")
    with pytest.raises(FileNotFoundError, match="train.json"):
        estimator_config("hq", tmp_path)


def test_cli_frames(frames: Path, tmp_path: Path) -> None:
    import argparse

    from posec3d.estimators.commands import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    root = frames.parent
    (tmp_path / "gym").mkdir()
    for name in ("scenes.npz", "videos"):
        (tmp_path / "gym" / name).symlink_to(root / name)
    args = parser.parse_args(["frames", "--dataset", f"{tmp_path / 'gym'}:train:val", "--every", "6",
                              "--max-clips", "1", "--out", str(tmp_path / "frames")])
    args.func(args)
    coco = json.loads((tmp_path / "frames" / "val.json").read_text())
    assert coco["images"] and {i["frame_dir"] for i in coco["images"]} == {coco["images"][0]["frame_dir"]}
    with pytest.raises(ValueError, match="DIR:TRAIN_SPLITS:VAL_SPLITS"):
        bad = parser.parse_args(["frames", "--dataset", "data/gym", "--out", str(tmp_path / "x")])
        bad.func(bad)


@pytest.fixture(scope="module")
def lq_estimator(frames: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny top-down estimator folder, trained for one iteration."""
    out = tmp_path_factory.mktemp("lq") / "lq"
    train_estimator("lq", frames, out, iters=1, overrides=TINY["lq"], log_interval=1)
    return out


def test_cli_eval_estimator_writes_coco_keypoint_metrics(lq_estimator: Path, frames: Path, tmp_path: Path) -> None:
    """`posec3d eval-estimator` through the CLI's own entry point, on the val frames."""
    from posec3d.cli import main

    out = tmp_path / "metrics.json"
    assert main(["eval-estimator", "--estimator", str(lq_estimator), "--frames", str(frames),
                 "--out", str(out), "--threads", "1"]) == 0
    metrics = json.loads(out.read_text())
    assert metrics["kind"] == "keypoint"
    aps = {k: v for k, v in metrics.items() if k.startswith(("AP", "AR"))}
    assert {"AP", "AP50", "AP75", "AR", "AR50"} <= set(aps)
    assert all(0.0 <= v <= 1.0 for v in aps.values()), aps
    val = json.loads((frames / "val.json").read_text())
    assert metrics["images"] == len(val["annotations"])  # top-down: one sample per GT person box
    assert metrics["raw"]["coco/AP"] == pytest.approx(metrics["AP"], abs=5e-5)
    assert not (lq_estimator / ".eval").exists()
    # a missing estimator folder is one error line, exit 2
    assert main(["eval-estimator", "--estimator", str(tmp_path / "none"), "--frames", str(frames)]) == 2


def test_trained_weights_make_an_estimator_folder_without_training(lq_estimator: Path, tmp_path: Path) -> None:
    """The real path: a config and a checkpoint (here a local file; a URL is downloaded) become
    the same folder a trained estimator is, and load with the same weights."""
    import argparse

    from posec3d.estimators.commands import register
    from posec3d.estimators.load import _config

    trained = lq_estimator
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["train-estimator", str(trained / "config.py"), "--checkpoint",
                              str(trained / "model.pth"), "--out", str(tmp_path / "obtained")])
    args.func(args)
    assert not (tmp_path / "obtained" / "train.log").exists()  # nothing was trained
    x = torch.rand(1, 3, 64, 48)
    with torch.no_grad():
        a = load_estimator(trained).extract_feat(x)
        b = load_estimator(tmp_path / "obtained").extract_feat(x)
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        args = parser.parse_args(["train-estimator", "lq", "--checkpoint", str(tmp_path / "missing.pth"),
                                  "--out", str(tmp_path / "x")])
        args.func(args)
    # the paper's configs are read from the installed OpenMMLab packages, offline
    paper = _config("mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py")
    assert paper.model.backbone.type == "HRNet" and paper.codec.input_size == (192, 256)
