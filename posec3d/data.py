"""From pose clips to model input: datasets, collation and the per-batch device step.

A model declares `input_kind`: "volume" models (Pose-SlowOnly) get pseudo-heatmap volumes,
"coordinates" models (MS-G3D) get joint coordinates. Per-clip work (sampling, cropping,
augmentation: cheap numpy on coordinates) runs in DataLoader workers; heatmap rendering runs
batched on the training device, so a GPU renders its own input. Volumes come from coordinates
(Eq. 1/2) or, with the input's `source: heatmaps`, from the estimator's stored heatmaps
(volumes.stored), warped on the device the same way.

Randomness is a function of (seed, epoch, clip index) alone, so results do not depend on the
number of workers or processes, and a resumed run sees the same augmentations.

A clip that cannot be prepared raises ClipError naming the pose file and the clip, one line
whether it was raised in the main process or in a DataLoader worker.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any, Protocol, TypeVar

import numpy as np
import torch
from torch.utils.data import Dataset

from posec3d.coordinates import CoordinateConfig, prepare_coordinates
from posec3d.keypoint_drop import drop_keypoints
from posec3d.seeding import named_rng
from posec3d.storage import PoseFileError
from posec3d.volumes.pipeline import VolumeConfig, collate_coordinates, prepare_clip, render
from posec3d.volumes.stored import collate_stored, prepare_stored, render_stored
from posec3d.volumes.transforms import flip_coordinates

Config = TypeVar("Config", VolumeConfig, CoordinateConfig)
_DROP_STREAM = 1  # the training keypoint drops' generator: (seed, epoch, clip, _DROP_STREAM)
_FLIP_STREAM = 2  # the flips of side-specific labels (Volleyball): (seed, epoch, clip, _FLIP_STREAM)


@lru_cache(maxsize=32)
def _with_clips(cfg: Config, num_clips: int) -> Config:
    """`cfg` for `num_clips` clips per video, built once (configs validate when built)."""
    return dataclasses.replace(cfg, num_clips=num_clips)


class InputAdapter(Protocol):
    """Turns clips into a model's input; one implementation per `input_kind`."""

    def prepare(self, clip: dict[str, Any], num_clips: int, test_mode: bool,
                rng: np.random.Generator | None) -> Any: ...

    def collate(self, items: list[Any]) -> Any: ...

    def to_model(self, batch: Any, device: torch.device) -> torch.Tensor: ...

    @property
    def flip_prob(self) -> float: ...

    def without_flip(self) -> InputAdapter: ...


class VolumeInput:
    """Pseudo-heatmap volumes [N * clips, K, T, H, W] rendered on the device.

    Every batch is rendered into the same buffer (a new one when the shape or device
    changes): fresh memory costs page faults that take longer than rendering into it. So a
    volume returned by to_model is overwritten by the next call; the training and test loops
    are done with a batch (forward and backward) before they ask for the next.
    """

    def __init__(self, cfg: VolumeConfig):
        self.cfg = cfg
        self._stored = cfg.source == "heatmaps"
        self._volumes: torch.Tensor | None = None

    def prepare(self, clip, num_clips, test_mode, rng):
        prepare = prepare_stored if self._stored else prepare_clip
        return prepare(clip, _with_clips(self.cfg, num_clips), test_mode=test_mode, rng=rng)

    def collate(self, items):
        return collate_stored(items) if self._stored else collate_coordinates(items)

    @property
    def flip_prob(self) -> float:
        return self.cfg.flip_prob

    def without_flip(self) -> VolumeInput:
        """The same input without its training flip (ClipDataset flips clips with their labels)."""
        if self._stored:
            raise ValueError("side-specific labels (a flip label map) need volumes from coordinates, "
                             "not stored heatmaps")
        return VolumeInput(dataclasses.replace(self.cfg, flip_prob=0.0))

    def to_model(self, batch, device):
        # (kp, score) or (heatmap, warp): both [N, clips, M, T, ...]
        first, second = (t.to(device, non_blocking=True) for t in batch)
        shape = (first.shape[0] * first.shape[1], self.cfg.channels, first.shape[3],
                 *self.cfg.size)
        draw = render_stored if self._stored else render
        return draw(first, second, self.cfg, out=self._buffer(shape, first.device))

    def _buffer(self, shape: tuple[int, ...], device: torch.device) -> torch.Tensor:
        volumes = self._volumes
        if volumes is None or volumes.shape != shape or volumes.device != device:
            self._volumes = volumes = None  # let the old buffer go before allocating the new
            self._volumes = torch.empty(shape, device=device)
        return self._volumes

    def __getstate__(self) -> dict[str, Any]:
        # DataLoader workers get a copy of the dataset and its adapter; not of the buffer.
        return {**self.__dict__, "_volumes": None}


class CoordinateInput:
    """Joint coordinates [N * clips, M, T, V, C] for graph networks."""

    def __init__(self, cfg: CoordinateConfig):
        self.cfg = cfg

    def prepare(self, clip, num_clips, test_mode, rng):
        return prepare_coordinates(clip, _with_clips(self.cfg, num_clips), test_mode=test_mode,
                                   rng=rng)

    def collate(self, items):
        return torch.from_numpy(np.stack(items))

    @property
    def flip_prob(self) -> float:
        return 0.0  # graph networks take coordinates as they are

    def without_flip(self) -> CoordinateInput:
        return self

    def to_model(self, batch, device):
        return batch.to(device, non_blocking=True).flatten(0, 1)


def build_input(input_kind: str, cfg: dict[str, Any]) -> InputAdapter:
    """The adapter for a model's `input_kind`, configured by the run's `input` section."""
    if input_kind == "volume":
        return VolumeInput(VolumeConfig.from_dict(cfg))
    if input_kind == "coordinates":
        return CoordinateInput(CoordinateConfig.from_dict(cfg))
    raise ValueError(f"unknown model input kind {input_kind!r}")


class ClipError(PoseFileError):
    """A clip that cannot be made into model input; the message names the pose file and the clip.

    Raised in a DataLoader worker, it reaches the main process as torch's multi-line report
    ("Caught ClipError in DataLoader worker process 0. Original Traceback ..."), which torch passes
    to this class: the message is cut back to the original line, so the user reads the same one
    line as without workers; the report stays in `worker_report`.
    """

    def __init__(self, message: str) -> None:
        marker = f"{type(self).__module__}.{type(self).__qualname__}: "
        self.worker_report = None
        if message.startswith(f"Caught {type(self).__name__} ") and marker in message:
            self.worker_report, message = message, message.rsplit(marker, 1)[1].strip()
        super().__init__(message)


def mirrored(clip: dict[str, Any]) -> dict[str, Any]:
    """The clip mirrored left-right in its frame (a new dict, float32 coordinates; the clip is left
    as it was)."""
    width = int(clip["img_shape"][1])
    keypoint = np.asarray(clip["keypoint"], dtype=np.float32)
    keypoint, score = flip_coordinates(keypoint, np.asarray(clip["keypoint_score"]), width)
    return {**clip, "keypoint": keypoint, "keypoint_score": score}


class ClipDataset(Dataset):
    """Clips of one split, prepared by an adapter; yields (input, label).

    `source` names the pose file in the ClipError of a clip that cannot be prepared.
    `keypoint_drop` > 0 drops limb keypoints first (Table 5, posec3d.keypoint_drop): at test
    time the same drops for every model (a function of seed and clip), in training new ones
    each epoch, from a stream of their own so that the augmentations stay those of p = 0.
    `label_flip` (posec3d.label_flip, side-specific labels) moves the training flip from the
    adapter to the clip: a flipped clip is mirrored in the frame (x -> width - 1 - x, left and
    right joints swapped) and takes the mirrored label, at the adapter's flip probability.
    """

    def __init__(self, clips: list[dict[str, Any]], adapter: InputAdapter, *,
                 test_mode: bool, seed: int, num_clips: int = 1, source: str = "poses",
                 keypoint_drop: float = 0.0, label_flip: np.ndarray | None = None):
        self.source = source
        self.keypoint_drop = keypoint_drop
        self.clips = clips
        self.label_flip = None if test_mode or not adapter.flip_prob else label_flip
        self.flip_prob = adapter.flip_prob
        self.adapter = adapter if self.label_flip is None else adapter.without_flip()
        self.test_mode = test_mode
        self.seed = seed
        self.num_clips = num_clips
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the augmentation stream of `epoch` (training only)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        clip = self.clips[index]
        rng = None if self.test_mode else np.random.default_rng([self.seed, self.epoch, index])
        try:
            if self.keypoint_drop > 0:
                drops = (named_rng(self.seed, str(clip.get("frame_dir", ""))) if self.test_mode
                         else np.random.default_rng([self.seed, self.epoch, index, _DROP_STREAM]))
                clip = drop_keypoints(clip, self.keypoint_drop, drops)
            label = int(clip["label"])
            if self.label_flip is not None:
                flips = np.random.default_rng([self.seed, self.epoch, index, _FLIP_STREAM])
                if flips.random() < self.flip_prob:
                    clip, label = mirrored(clip), int(self.label_flip[label])
            sample = self.adapter.prepare(clip, self.num_clips, self.test_mode, rng)
        except (ValueError, KeyError, IndexError) as error:
            reason = error.args[0] if isinstance(error, KeyError) and error.args else error
            raise ClipError(f"{self.source}: clip {clip.get('frame_dir')!r}: cannot be prepared "
                            f"({type(error).__name__}: {reason})") from error
        return sample, label

    def collate(self, items: list[tuple[Any, int]]) -> tuple[Any, torch.Tensor]:
        samples, labels = zip(*items)
        return self.adapter.collate(list(samples)), torch.tensor(labels, dtype=torch.long)
