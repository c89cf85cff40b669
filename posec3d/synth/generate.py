"""The generator: a synthetic dataset analog as annotations, and the pose sources derived from it.

    scenes = generate(synth_config("ntu60", num_classes=10), seed=0)
    poses = pose_source(scenes, "gt-2d")

`generate` returns the mmaction2/pyskl annotation format with every person of every scene and
all a renderer needs (see `CLIP_FIELDS`); `pose_source` turns it into the annotation dataset a
model trains on. Every clip draws from its own generator keyed by (seed, dataset, class,
number), so the same seed gives bit-identical clips and adding classes or clips changes none of
the existing ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tqdm.auto import tqdm

from posec3d.seeding import named_rng

from .analogs import Staged, catalogue, dataset_code, ntu_world, stage, world_rng
from .body import CAPSULES, SHAPE_PARAMS
from .datasets import NTU_MUTUAL, SynthConfig, is_val, ntu_splits, split_names
from .monocular import estimated_skeleton
from .scene import BACKGROUND_PARAMS, CLOTHING_PARTS, annotate
from .sensor import sensor_skeleton

FORMAT = "posec3d-synth-scenes/1"
POSE_SOURCES = ("gt-2d", "gt-2d-all", "gt-3d", "sensor-3d", "estimated-3d")

# What each clip holds (M persons, persons of interest first; T frames).
CLIP_FIELDS: dict[str, str] = {
    "frame_dir": "str, unique; NTU: <dataset>_SsssCcccPpppRrrrAaaa",
    "label": "int, index into meta['classes']",
    "total_frames": "int T", "img_shape": "(h, w)", "original_shape": "(h, w)", "fps": "int",
    "keypoint": "float32 [M,T,17,2] pixels, (0, 0) outside the image",
    "keypoint_score": "float32 [M,T,17]: 1 visible, 0.3-0.6 occluded (hidden by a body part, a person or "
                      "an occluder), 0 outside the image",
    "keypoint_3d": "float32 [M,T,17,3] world metres (z up, ground z = 0)",
    "body_aux_3d": "float32 [M,T,4,3] world metres: meta['body_aux_points'], points 17-20 of the capsules",
    "box": "float32 [M,T,4] x1 y1 x2 y2: projected body + 10% margin, clipped; 0 when out of view",
    "poi": "bool [M] person of interest", "role": "int8 [M] 0 actor / key player, 1 distractor, 2 other player",
    "subject": "int NTU performer id, -1 elsewhere", "view": "int NTU camera id, -1 elsewhere",
    "setup": "int NTU setup id, -1 elsewhere",
    "camera_K": "float32 [T,3,3]", "camera_R": "float32 [T,3,3]", "camera_t": "float32 [T,3]",
    "body_shape": "float32 [M,S] meta['body_shape_params'], metres",
    "clothing": "uint8 [M,k,3] meta['clothing_parts']",
    "scene": "str backdrop kind: lab, gym, indoor, outdoor, court",
    "background": "float32 [B] meta['background_params'] in [0, 1]", "background_seed": "int texture seed",
    "occluders": "float32 [N,6] world boxes x0 y0 z0 x1 y1 z1", "occluder_colours": "uint8 [N,3]",
}
_COUNTS = 6  # world_rng key of the class sizes


def clip_rng(seed: int, cfg: SynthConfig, class_index: int, number: int) -> np.random.Generator:
    """The generator of clip `number` of class `class_index` (index in the full dataset)."""
    return np.random.default_rng(np.random.SeedSequence([seed, dataset_code(cfg.dataset), class_index, number]))


def clips_of_class(cfg: SynthConfig, class_index: int) -> int:
    """How many clips (NTU: performances, each seen by 3 cameras) a class gets."""
    factor = world_rng(cfg, _COUNTS, class_index).uniform(1.0 - cfg.class_imbalance, 1.0 + cfg.class_imbalance)
    clips = max(1, round(cfg.clips_per_class * factor))
    return -(-clips // 3) if cfg.dataset in NTU_MUTUAL else clips


def generate(cfg: SynthConfig, seed: int, progress: bool = False) -> dict[str, Any]:
    """The scenes dataset of an analog: {"split", "annotations", "meta"} (see CLIP_FIELDS)."""
    if not isinstance(cfg, SynthConfig):
        raise TypeError(f"generate expects a SynthConfig, got {type(cfg).__name__}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"generate: seed must be a non-negative integer, got {seed!r}")
    classes = catalogue(cfg)
    world = ntu_world(cfg) if cfg.dataset in NTU_MUTUAL else None
    counts = [clips_of_class(cfg, cls.index) for cls in classes]
    split: dict[str, list[str]] = {name: [] for name in split_names(cfg)}
    annotations = []
    with tqdm(total=sum(counts), disable=not progress, desc=f"synth {cfg.dataset}", unit="clip") as bar:
        for label, (cls, count) in enumerate(zip(classes, counts)):
            for number in range(count):
                rng = clip_rng(int(seed), cfg, cls.index, number)
                for staged in stage(cfg, cls, world, rng, number):
                    annotations.append(_clip(staged, label, cfg, rng))
                    for name in _splits_of(cfg, staged, number):
                        split[name].append(staged.frame_dir)
                bar.update()
    meta = {
        "dataset": cfg.dataset, "format": FORMAT, "classes": [cls.name for cls in classes],
        "class_index": [cls.index for cls in classes], "seed": int(seed), "config": cfg.to_dict(),
        "fields": CLIP_FIELDS, "body_shape_params": list(SHAPE_PARAMS), "clothing_parts": list(CLOTHING_PARTS),
        "background_params": list(BACKGROUND_PARAMS),
        "body_aux_points": ["neck", "pelvis", "head", "crown"],
        # body parts as capsules [point a, point b, radius (m) of a 1.70 m body of girth 1]
        "body_capsules": [[a, b, r] for a, b, r in CAPSULES],
        "body_capsule_scale": "radius * girth * height / 1.7",
        "conventions": "world: metres, z up, ground z = 0; cameras: x_cam = camera_R @ X + camera_t, "
                       "(u, v, 1) ~ camera_K @ x_cam (OpenCV axes: x right, y down, z forward)",
    }
    return {"split": split, "annotations": annotations, "meta": meta}


def _splits_of(cfg: SynthConfig, staged: Staged, number: int) -> tuple[str, ...]:
    if cfg.dataset in NTU_MUTUAL:
        return ntu_splits(cfg.dataset, staged.subject, staged.view, staged.setup)
    return ("val",) if is_val(number, cfg.val_fraction) else ("train",)


def _clip(staged: Staged, label: int, cfg: SynthConfig, rng: np.random.Generator) -> dict[str, Any]:
    scene = staged.scene
    arrays = annotate(scene, rng)
    frames = arrays["keypoint"].shape[1]
    return {
        "frame_dir": staged.frame_dir, "label": label, "total_frames": frames,
        "img_shape": tuple(cfg.img_shape), "original_shape": tuple(cfg.img_shape), "fps": cfg.fps,
        **arrays,
        "subject": staged.subject, "view": staged.view, "setup": staged.setup,
        "scene": scene.kind, "background_seed": scene.background_seed,
    }


# ---- pose sources --------------------------------------------------------------------------

_KEEP = ("frame_dir", "label", "total_frames", "img_shape", "original_shape", "subject", "view", "setup")


def is_scenes(dataset: dict[str, Any]) -> bool:
    """Whether `dataset` is a synthetic scenes dataset (as opposed to a pose file)."""
    return dataset.get("meta", {}).get("format") == FORMAT


def pose_source(scenes: dict[str, Any], source: str, seed: int = 0) -> dict[str, Any]:
    """The annotation dataset a model sees, derived from a scenes dataset.

    "gt-2d": persons of interest only (as if extracted in ground-truth boxes); "gt-2d-all":
    every person (what detection boxes would see), in a seeded random order, since a detector
    does not know which persons matter; "gt-3d": the persons of interest's clean 3D
    joints; "sensor-3d": the same through the depth-sensor model (NTU's Kinect); "estimated-3d":
    through the monocular-estimator model (FineGYM's VIBE, `posec3d.synth.monocular`); both
    seeded by `seed` and the clip's name. 3D sources are in each frame's camera coordinates (metres; x right, y down,
    z along the viewing ray), as a Kinect or a monocular 3D estimator reports them (and so that
    X-View does test another viewpoint), with keypoint_score 1. The splits, labels and
    frame_dirs are those of `scenes`.
    """
    if source not in POSE_SOURCES:
        raise ValueError(f"unknown pose source {source!r}; known: {', '.join(POSE_SOURCES)}")
    meta = dict(scenes.get("meta", {}))
    level = float(meta.get("config", {}).get("sensor_noise", 1.0))
    clips = []
    for index, clip in enumerate(scenes["annotations"]):
        where = f"clip #{index} ({clip.get('frame_dir')!r})"
        missing = [k for k in ("poi", "keypoint", "keypoint_score", "keypoint_3d", "camera_R", "camera_t")
                   if k not in clip]
        if missing:
            raise ValueError(f"pose_source: {where} is not a synthetic scene clip: missing {', '.join(missing)}")
        clip_rng = named_rng(seed, str(clip["frame_dir"]))
        if source == "gt-2d-all":
            # a detector does not know who matters: persons come in an order that says nothing
            # about it (scenes list the persons of interest first)
            keep = clip_rng.permutation(len(clip["poi"]))
        else:
            keep = np.flatnonzero(np.asarray(clip["poi"], bool))
        if not len(keep):
            raise ValueError(f"pose_source: {where} has no person of interest")
        out = {key: clip[key] for key in _KEEP if key in clip}
        if source.startswith("gt-2d"):
            out["keypoint"] = np.asarray(clip["keypoint"])[keep]
            out["keypoint_score"] = np.asarray(clip["keypoint_score"])[keep]
            out["box"] = np.asarray(clip["box"])[keep]
        else:
            world = np.asarray(clip["keypoint_3d"], np.float64)[keep]
            rot, shift = np.asarray(clip["camera_R"], np.float64), np.asarray(clip["camera_t"], np.float64)
            camera = np.einsum("tij,mtvj->mtvi", rot, world) + shift[None, :, None, :]
            unreliable = np.asarray(clip["keypoint_score"])[keep] < 1.0
            if source == "sensor-3d":
                camera = sensor_skeleton(camera, unreliable, clip_rng, level)
            elif source == "estimated-3d":
                camera = estimated_skeleton(camera, unreliable, clip_rng, level)
            out["keypoint"] = camera.astype(np.float32)
            out["keypoint_score"] = np.ones(camera.shape[:3], np.float32)
        clips.append(out)
    meta.update(pose_source=source, pose_seed=int(seed))
    return {"split": {name: list(names) for name, names in scenes["split"].items()}, "annotations": clips, "meta": meta}

