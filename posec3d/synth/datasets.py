"""The dataset analogs: configuration, presets and the split rules of the paper's datasets.

Each preset keeps the real dataset's class count, frame size, clip lengths and split protocol,
with fewer clips per class; `synth_config(name, scale=..., num_classes=..., ...)` shrinks or
tunes it. The difficulty knobs (motion_noise, style_variation, class_similarity, family_size,
distractors, camera_motion, truncation, occluders) are what the lead tunes so that trained models
land well below 100%.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

# Classes of each real dataset (a config's num_classes picks an evenly spread subset of them).
FULL_CLASSES: dict[str, int] = {"gym": 99, "ntu60": 60, "ntu120": 120, "k400": 400, "volleyball": 8}

# NTU RGB+D two-person (mutual) actions, 0-based: A050-A060 and, in NTU-120, A106-A120.
NTU_MUTUAL: dict[str, frozenset[int]] = {
    "ntu60": frozenset(range(49, 60)),
    "ntu120": frozenset(range(49, 60)) | frozenset(range(105, 120)),
}
# Official cross-subject training subjects (Shahroudy et al. 2016; Liu et al. 2019).
NTU60_XSUB_TRAIN = frozenset({1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38})
NTU120_XSUB_TRAIN = NTU60_XSUB_TRAIN | frozenset({
    45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85, 86, 89, 91,
    92, 93, 94, 95, 97, 98, 100, 103})
NTU_SUBJECTS = {"ntu60": 40, "ntu120": 106}
NTU_SETUPS = {"ntu60": 17, "ntu120": 32}


@dataclass(frozen=True)
class SynthConfig:
    """Everything that defines a synthetic dataset analog (JSON-able through to_dict)."""

    dataset: str  # gym | ntu60 | ntu120 | k400 | volleyball
    num_classes: int
    clips_per_class: int  # mean; NTU clips come in camera triplets (rounded up to a multiple of 3)
    img_shape: tuple[int, int]  # (h, w) pixels
    fps: int
    length_median: int  # frames; lengths are log-normal around it (a long tail) ...
    length_sigma: float  # ... with this log-spread ...
    length_range: tuple[int, int]  # ... clipped to [min, max]
    class_imbalance: float = 0.0  # class sizes vary by a factor in [1 - x, 1 + x]
    val_fraction: float = 0.25  # train/val analogs (gym, k400, volleyball)
    world_seed: int = 0  # classes, subjects and setups: the world, fixed across generation seeds
    family_size: int = 1  # classes per family (a base routine and its subtle variants)
    class_similarity: float = 0.5  # 0: variants differ clearly; 1: faintly
    steps_per_class: tuple[int, int] = (1, 3)  # movements per routine
    style_variation: float = 1.0  # person-to-person spread of amplitude and timing
    motion_noise: float = 3.0  # degrees of smooth joint-angle wobble
    left_handed_prob: float = 0.1
    distractors: tuple[int, int] = (0, 0)  # bystanders / audience / referees per clip
    camera_motion: float = 0.0  # 0: fixed camera; 1: strong pans, shake and zoom
    truncation: float = 0.0  # probability of a framing that cuts the actor off
    occluders: tuple[int, int] = (0, 0)  # occluding boxes per clip
    sensor_noise: float = 1.0  # level of the sensor-3d and estimated-3d error models
    num_subjects: int = 0  # NTU: performers (ids 1..n)
    num_setups: int = 0  # NTU: camera setups (ids 1..n)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in _PAIRS:
                if isinstance(value, list):
                    object.__setattr__(self, f.name, value := tuple(value))
                if not (isinstance(value, tuple) and len(value) == 2 and all(_is_number(v) for v in value)):
                    raise ValueError(f"SynthConfig.{f.name} must be a pair of numbers, got {value!r}")
            elif f.type == "int" and not _is_int(value):
                raise ValueError(f"SynthConfig.{f.name} must be an integer, got {value!r}")
            elif f.type == "float":
                if not _is_number(value):
                    raise ValueError(f"SynthConfig.{f.name} must be a number, got {value!r}")
                object.__setattr__(self, f.name, float(value))
        self._check_values()

    def _check_values(self) -> None:
        def need(ok: bool, what: str) -> None:
            if not ok:
                raise ValueError(f"SynthConfig for {self.dataset!r}: {what}")

        need(isinstance(self.dataset, str) and self.dataset in FULL_CLASSES,
             f"unknown dataset; known: {', '.join(FULL_CLASSES)}")
        full = FULL_CLASSES[self.dataset]
        need(1 <= self.num_classes <= full, f"num_classes must be in 1..{full}, got {self.num_classes}")
        need(self.clips_per_class >= 1, f"clips_per_class must be >= 1, got {self.clips_per_class}")
        need(all(_is_int(v) and v >= 16 for v in self.img_shape),
             f"img_shape must be two ints >= 16, got {self.img_shape}")
        need(self.fps >= 1, f"fps must be >= 1, got {self.fps}")
        low, high = self.length_range
        need(_is_int(low) and _is_int(high) and 8 <= low <= high,
             f"length_range must be ints 8 <= min <= max, got {self.length_range}")
        need(low <= self.length_median <= high,
             f"length_median {self.length_median} outside length_range {self.length_range}")
        need(self.length_sigma >= 0, f"length_sigma must be >= 0, got {self.length_sigma}")
        need(0 <= self.class_imbalance < 1, f"class_imbalance must be in [0, 1), got {self.class_imbalance}")
        need(0 < self.val_fraction < 1, f"val_fraction must be in (0, 1), got {self.val_fraction}")
        need(1 <= self.family_size <= 6, f"family_size must be in 1..6, got {self.family_size}")
        need(0 <= self.class_similarity <= 1, f"class_similarity must be in [0, 1], got {self.class_similarity}")
        s_low, s_high = self.steps_per_class
        need(_is_int(s_low) and _is_int(s_high) and 1 <= s_low <= s_high <= 6,
             f"steps_per_class must be ints 1 <= min <= max <= 6, got {self.steps_per_class}")
        need(self.style_variation >= 0, f"style_variation must be >= 0, got {self.style_variation}")
        need(self.motion_noise >= 0, f"motion_noise must be >= 0, got {self.motion_noise}")
        need(0 <= self.left_handed_prob <= 1, f"left_handed_prob must be in [0, 1], got {self.left_handed_prob}")
        for name in ("distractors", "occluders"):
            a, b = getattr(self, name)
            need(_is_int(a) and _is_int(b) and 0 <= a <= b <= 20,
                 f"{name} must be ints 0 <= min <= max <= 20, got {(a, b)}")
        need(0 <= self.camera_motion <= 2, f"camera_motion must be in [0, 2], got {self.camera_motion}")
        need(0 <= self.truncation <= 1, f"truncation must be in [0, 1], got {self.truncation}")
        need(self.sensor_noise >= 0, f"sensor_noise must be >= 0, got {self.sensor_noise}")
        if self.dataset in NTU_SUBJECTS:
            need(2 <= self.num_subjects <= NTU_SUBJECTS[self.dataset],
                 f"num_subjects must be in 2..{NTU_SUBJECTS[self.dataset]}, got {self.num_subjects}")
            need(2 <= self.num_setups <= NTU_SETUPS[self.dataset],
                 f"num_setups must be in 2..{NTU_SETUPS[self.dataset]}, got {self.num_setups}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (pairs as lists) that from_dict turns back into this config."""
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
                for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SynthConfig:
        """The config of a dict written by to_dict; unknown or missing keys are errors."""
        if not isinstance(data, dict):
            raise ValueError(f"SynthConfig.from_dict expects a dict, got {type(data).__name__}")
        _check_names(data, "SynthConfig.from_dict")
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in data
                   and f.default is dataclasses.MISSING]
        if missing:
            raise ValueError(f"SynthConfig.from_dict: missing key(s) {', '.join(missing)}")
        return cls(**data)


_PAIRS = ("img_shape", "length_range", "steps_per_class", "distractors", "occluders")


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value: Any) -> bool:
    return _is_int(value) or (isinstance(value, (float, np.floating)) and bool(np.isfinite(value)))


def _check_names(data: dict[str, Any], where: str) -> None:
    known = [f.name for f in dataclasses.fields(SynthConfig)]
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValueError(f"{where}: unknown SynthConfig field(s) {', '.join(map(repr, unknown))}; "
                         f"known: {', '.join(known)}")


PRESETS: dict[str, SynthConfig] = {
    # FineGYM: one athlete, 99 fine-grained elements in families sharing a base routine,
    # audience and judges in view, broadcast camera following the athlete.
    "gym": SynthConfig(
        dataset="gym", num_classes=99, clips_per_class=20, img_shape=(720, 1280), fps=30,
        length_median=90, length_sigma=0.45, length_range=(30, 300), class_imbalance=0.3,
        family_size=5, class_similarity=0.5, steps_per_class=(2, 4), left_handed_prob=0.0,
        distractors=(2, 6), camera_motion=0.5),
    # NTU RGB+D: lab, 3 Kinect views, 40 subjects, 17 setups; A050-A060 are two-person actions.
    "ntu60": SynthConfig(
        dataset="ntu60", num_classes=60, clips_per_class=30, img_shape=(1080, 1920), fps=30,
        length_median=75, length_sigma=0.45, length_range=(30, 300), family_size=2,
        class_similarity=0.4, steps_per_class=(1, 3), num_subjects=40, num_setups=17),
    "ntu120": SynthConfig(
        dataset="ntu120", num_classes=120, clips_per_class=30, img_shape=(1080, 1920), fps=30,
        length_median=75, length_sigma=0.45, length_range=(30, 300), family_size=2,
        class_similarity=0.4, steps_per_class=(1, 3), num_subjects=106, num_setups=32),
    # Kinetics-400: cluttered scenes, hand-held moving cameras, truncated bodies, bystanders.
    "k400": SynthConfig(
        dataset="k400", num_classes=400, clips_per_class=10, img_shape=(360, 640), fps=30,
        length_median=200, length_sigma=0.25, length_range=(60, 300), family_size=2,
        class_similarity=0.5, steps_per_class=(2, 4), style_variation=1.5, motion_noise=6.0,
        distractors=(0, 3), camera_motion=1.0, truncation=0.4, occluders=(0, 2)),
    # Volleyball: 12 players and a referee, 8 group activities decided by a few key players.
    "volleyball": SynthConfig(
        dataset="volleyball", num_classes=8, clips_per_class=60, img_shape=(720, 1280), fps=30,
        length_median=41, length_sigma=0.0, length_range=(41, 41), left_handed_prob=0.1,
        distractors=(1, 2), camera_motion=0.3),
}


def synth_config(name: str, scale: float | None = None, **overrides: Any) -> SynthConfig:
    """The preset `name` with fields overridden; `scale` then multiplies num_classes and
    clips_per_class (at least 1 each). Unknown names or fields raise ValueError."""
    if name not in PRESETS:
        raise ValueError(f"unknown synthetic dataset preset {name!r}; known: {', '.join(PRESETS)}")
    _check_names(overrides, f"synth_config({name!r})")
    if "dataset" in overrides and overrides["dataset"] != name:
        raise ValueError(f"synth_config({name!r}): cannot override dataset with {overrides['dataset']!r}")
    cfg = dataclasses.replace(PRESETS[name], **overrides)
    if scale is not None:
        if not _is_number(scale) or scale <= 0:
            raise ValueError(f"synth_config({name!r}): scale must be a positive number, got {scale!r}")
        cfg = dataclasses.replace(cfg, num_classes=max(1, min(FULL_CLASSES[name], round(cfg.num_classes * scale))),
                                  clips_per_class=max(1, round(cfg.clips_per_class * scale)))
    return cfg


def class_indices(cfg: SynthConfig) -> list[int]:
    """Indices into the full class list of the config's classes: evenly spread, so a scaled-down
    NTU keeps its share of two-person actions and label k is always the same class."""
    full = FULL_CLASSES[cfg.dataset]
    return [int(np.floor(i + 0.5)) for i in np.linspace(0, full - 1, cfg.num_classes)]


def split_names(cfg: SynthConfig) -> tuple[str, ...]:
    """The split names of an analog, as pyskl names them."""
    if cfg.dataset == "ntu60":
        return ("xsub_train", "xsub_val", "xview_train", "xview_val")
    if cfg.dataset == "ntu120":
        return ("xsub_train", "xsub_val", "xset_train", "xset_val")
    return ("train", "val")


def ntu_splits(dataset: str, subject: int, view: int, setup: int) -> tuple[str, ...]:
    """The splits an NTU clip belongs to: X-Sub by the official subject list, X-View camera 1
    for validation (2, 3 for training), X-Set even setup ids for training (odd for validation)."""
    train_subjects = NTU60_XSUB_TRAIN if dataset == "ntu60" else NTU120_XSUB_TRAIN
    splits = ["xsub_train" if subject in train_subjects else "xsub_val"]
    if dataset == "ntu60":
        splits.append("xview_val" if view == 1 else "xview_train")
    else:
        splits.append("xset_train" if setup % 2 == 0 else "xset_val")
    return tuple(splits)


def is_val(index: int, val_fraction: float) -> bool:
    """Train/val rule of the other analogs: clip k of a class is in val when the rounded running
    count round(k * f) steps up, so val takes that fraction (a class of two clips has one val
    clip at f >= 1/4) and adding clips moves none."""
    return bool(np.floor((index + 1) * val_fraction + 0.5) > np.floor(index * val_fraction + 0.5))
