"""Batched inference of OpenMMLab models on video frames: person detection, top-down and bottom-up pose.

Each wrapper runs the model's own test pipeline per frame or per crop, collates many of them with
`pseudo_collate` and calls `model.test_step` once per batch, as mmdet's `inference_detector` and
mmpose's `inference_topdown` do for one image, but over many frames and many persons at a time.
Frames come in as RGB (what posec3d.video decodes); the models were trained on images loaded
with OpenCV, so they are fed BGR.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope

NUM_JOINTS = 17


def _bgr(frame: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(frame[..., ::-1])


def _compose(model: torch.nn.Module, pipeline: list, scope: str) -> Compose:
    """The model's test pipeline, its transforms looked up in the model's registry scope."""
    with DefaultScope.overwrite_default_scope(model.cfg.get("default_scope", scope)):
        return Compose(pipeline)


def _numpy(value: object) -> np.ndarray:
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


class PersonDetector:
    """An mmdet detector reduced to person boxes: frames -> per-frame (boxes [n,4] xyxy, scores [n])."""

    def __init__(self, model: torch.nn.Module) -> None:
        from mmdet.utils import get_test_pipeline_cfg

        self.model = model
        pipeline = get_test_pipeline_cfg(model.cfg.copy())
        pipeline[0].type = "mmdet.LoadImageFromNDArray"
        self.pipeline = _compose(model, pipeline, "mmdet")
        classes = [str(c).lower() for c in (model.dataset_meta or {}).get("classes", ["person"])]
        self.person_label = classes.index("person") if "person" in classes else 0

    def __call__(self, frames: np.ndarray, batch: int = 16) -> list[tuple[np.ndarray, np.ndarray]]:
        """Person boxes in frame pixels and their scores, one pair per frame, best score first."""
        out: list[tuple[np.ndarray, np.ndarray]] = []
        for start in range(0, len(frames), batch):
            data = [self.pipeline(dict(img=_bgr(f), img_id=start + i))
                    for i, f in enumerate(frames[start:start + batch])]
            with torch.no_grad():
                results = self.model.test_step(pseudo_collate(data))
            for result in results:
                pred = result.pred_instances
                keep = _numpy(pred.labels) == self.person_label
                boxes = _numpy(pred.bboxes)[keep].astype(np.float32)
                scores = _numpy(pred.scores)[keep].astype(np.float32)
                order = np.argsort(-scores, kind="stable")
                out.append((boxes[order], scores[order]))
        return out


@dataclass
class Poses:
    """Pose estimates of M rows over T frames, in frame pixels; zeros where no box was given.

    heatmap: uint8 [M,T,17,h,w] (the estimator's heatmaps * 255, clipped) and heatmap_box
    float32 [M,T,4] (the frame region x1,y1,x2,y2 each heatmap covers), when asked for.
    """

    keypoint: np.ndarray
    keypoint_score: np.ndarray
    heatmap: np.ndarray | None = None
    heatmap_box: np.ndarray | None = None


class TopDownEstimator:
    """An mmpose top-down estimator run on many person crops from many frames per forward."""

    def __init__(self, model: torch.nn.Module, heatmaps: bool = False) -> None:
        self.model = model
        self.heatmaps = heatmaps
        self.pipeline = _compose(model, model.cfg.test_dataloader.dataset.pipeline, "mmpose")
        model.test_cfg["output_heatmaps"] = heatmaps
        codec = model.cfg.get("codec", {})
        codec = codec[0] if isinstance(codec, (list, tuple)) else codec
        self.heatmap_size = tuple(codec.get("heatmap_size", (0, 0)))  # (w, h)

    def __call__(self, frames: np.ndarray, boxes: np.ndarray, valid: np.ndarray,
                 batch: int = 64) -> Poses:
        """Keypoints of each valid box: boxes float [M,T,4] xyxy in frame pixels, valid bool [M,T]."""
        persons, steps = valid.shape
        keypoint = np.zeros((persons, steps, NUM_JOINTS, 2), np.float32)
        score = np.zeros((persons, steps, NUM_JOINTS), np.float32)
        heatmap = heatmap_box = None
        if self.heatmaps:
            w, h = self.heatmap_size
            heatmap = np.zeros((persons, steps, NUM_JOINTS, h, w), np.uint8)
            heatmap_box = np.zeros((persons, steps, 4), np.float32)
        # frame-major order: consecutive crops share a frame, which keeps the batches local
        jobs = [(m, t) for t in range(steps) for m in range(persons) if valid[m, t] and t < len(frames)]
        bgr: dict[int, np.ndarray] = {}
        for start in range(0, len(jobs), batch):
            chunk = jobs[start:start + batch]
            data = []
            for m, t in chunk:
                if t not in bgr:
                    bgr.clear()
                    bgr[t] = _bgr(frames[t])
                info = dict(img=bgr[t], bbox=boxes[m, t][None].astype(np.float32),
                            bbox_score=np.ones(1, np.float32))
                info.update(self.model.dataset_meta)
                data.append(self.pipeline(info))
            with torch.no_grad():
                results = self.model.test_step(pseudo_collate(data))
            for (m, t), result in zip(chunk, results):
                pred = result.pred_instances
                keypoint[m, t] = _numpy(pred.keypoints)[0, :NUM_JOINTS, :2]
                score[m, t] = np.maximum(_numpy(pred.keypoint_scores)[0, :NUM_JOINTS], 0.0)
                if self.heatmaps:
                    maps = _numpy(result.pred_fields.heatmaps)[:NUM_JOINTS]
                    heatmap[m, t] = np.clip(np.rint(maps * 255.0), 0, 255).astype(np.uint8)
                    centre = np.asarray(result.metainfo["input_center"], np.float32).reshape(2)
                    size = np.asarray(result.metainfo["input_scale"], np.float32).reshape(2)
                    heatmap_box[m, t] = np.concatenate([centre - size / 2, centre + size / 2])
        return Poses(keypoint, score, heatmap, heatmap_box)


class BottomUpEstimator:
    """An mmpose bottom-up estimator: frames -> per-frame (keypoints [n,17,2], scores [n,17]).

    The backbone runs on many frames per forward; the head's grouping runs frame by frame, since
    mmpose's bottom-up heads (DEKR) decode one image at a time.
    """

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model
        self.pipeline = _compose(model, model.cfg.test_dataloader.dataset.pipeline, "mmpose")

    def __call__(self, frames: np.ndarray, batch: int = 8) -> list[tuple[np.ndarray, np.ndarray]]:
        model, out = self.model, []
        flip = model.test_cfg.get("flip_test", False)
        for start in range(0, len(frames), batch):
            data = []
            for frame in frames[start:start + batch]:
                info = dict(img=_bgr(frame))
                info.update(model.dataset_meta)
                data.append(self.pipeline(info))
            with torch.no_grad():
                data = model.data_preprocessor(pseudo_collate(data), False)
                feats = model.extract_feat(data["inputs"])
                feats_flip = model.extract_feat(data["inputs"].flip(-1)) if flip else None
                for i, sample in enumerate(data["data_samples"]):
                    feat = [_take(feats, i), _take(feats_flip, i)] if flip else _take(feats, i)
                    preds = model.head.predict(feat, [sample], test_cfg=model.test_cfg)
                    instances, fields = preds if isinstance(preds, tuple) else (preds, None)
                    pred = model.add_pred_to_datasample(instances, fields, [sample])[0].pred_instances
                    out.append((_numpy(pred.keypoints)[:, :NUM_JOINTS, :2].astype(np.float32),
                                np.maximum(_numpy(pred.keypoint_scores)[:, :NUM_JOINTS], 0.0).astype(np.float32)))
        return out


def _take(feats: Any, i: int) -> Any:
    """Sample i of a (nested tuple/list of) batched feature tensor(s), keeping the batch axis."""
    if isinstance(feats, torch.Tensor):
        return feats[i:i + 1]
    return type(feats)(_take(f, i) for f in feats)


def is_bottom_up(model: torch.nn.Module) -> bool:
    """Whether an mmpose model finds persons itself (needs no boxes)."""
    from mmpose.models.pose_estimators import BottomupPoseEstimator

    return isinstance(model, BottomupPoseEstimator)
