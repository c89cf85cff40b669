"""Validation and normalisation of pose datasets (the mmaction2/pyskl annotation format).

Every loader and the writer pass datasets through `normalise_dataset`, so the rest of the
project can rely on: keypoint float32 [M,T,V,C] with M, T, V > 0 and C in {2, 3}; keypoint_score
float32 [M,T,V]; finite values; coordinates within bounds (2D: |x|, |y| at most COORDINATE_SIDES
times the larger side of img_shape / original_shape, generous for keypoints estimated outside
the picture, far below what overflows float32 arithmetic; 3D: at most MAX_3D_COORDINATE, metres or
millimetres); total_frames == T; int label; img_shape a tuple of ints; unique frame_dirs; split
entries that are strings and all name a clip; a "meta" dict whose "classes", if given, is a
non-empty list of names, and labels below its length.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import PoseFileError

REQUIRED_CLIP_KEYS: tuple[str, ...] = ("frame_dir", "label", "total_frames", "keypoint")
COORDINATE_SIDES = 10.0  # 2D: |x|, |y| <= 10 x the larger image side (3400 px in a 340x256 frame)
MAX_3D_COORDINATE = 1e5  # 3D: 100 km in metres, 100 m in millimetres


def normalise_dataset(data: Any, source: str) -> dict[str, Any]:
    """Check a pose dataset and return it in canonical form (the input is not modified).

    `source` names the file in error messages. A bare list of clips (mmaction2 0.x per-split
    pickles) becomes a dataset with no named splits; a missing "split" likewise. Dataset-level
    extra keys ("meta", ...) and per-clip extra keys are kept as they are.
    """
    if isinstance(data, list):
        data = {"split": {}, "annotations": data}
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        raise PoseFileError(
            f"{source}: not a pose dataset: expected a dict with an 'annotations' list "
            f"(or a list of clips), got {_describe(data)}"
        )
    clips = [_normalise_clip(clip, index, source) for index, clip in enumerate(data["annotations"])]
    split = _normalise_split(data.get("split", {}), clips, source)
    if "meta" in data:
        _check_meta(data["meta"], clips, source)
    extras = {key: value for key, value in data.items() if key not in ("split", "annotations")}
    return {"split": split, "annotations": clips, **extras}


def _check_meta(meta: Any, clips: list[dict[str, Any]], source: str) -> None:
    """meta is a dict; its class names, if any, are strings that every label indexes."""
    if not isinstance(meta, dict):
        raise PoseFileError(f"{source}: meta must be a dict, got {_describe(meta)}")
    if "classes" not in meta:
        return
    classes = meta["classes"]
    if not isinstance(classes, (list, tuple, np.ndarray)) or len(classes) == 0 or not all(
            isinstance(name, str) for name in classes):
        raise PoseFileError(f"{source}: meta.classes must be a non-empty list of class names, got "
                            f"{_describe(classes)}")
    for index, clip in enumerate(clips):
        if clip["label"] >= len(classes):
            raise PoseFileError(f"{_where(source, index, clip['frame_dir'])}: label {clip['label']} is "
                                f"beyond the {len(classes)} classes of meta.classes")


def _normalise_clip(clip: Any, index: int, source: str) -> dict[str, Any]:
    if not isinstance(clip, dict):
        raise PoseFileError(f"{source}: clip #{index} is {_describe(clip)}, expected a dict")
    frame_dir = clip.get("frame_dir")
    where = _where(source, index, frame_dir)

    missing = [key for key in REQUIRED_CLIP_KEYS if key not in clip]
    if missing == ["keypoint"] and "raw_file" in clip:
        raise PoseFileError(
            f"{where}: keypoints live in the kpfile {clip['raw_file']!r} "
            "(Kinetics-400 layout); load this annotation file with load_kinetics"
        )
    if missing:
        raise PoseFileError(f"{where}: missing required key(s) {', '.join(map(repr, missing))}")
    if not isinstance(frame_dir, str) or not frame_dir:
        raise PoseFileError(f"{where}: frame_dir must be a non-empty string, got {frame_dir!r}")

    keypoint = _numeric_array(clip["keypoint"], "keypoint", where)
    if keypoint.ndim != 4 or keypoint.shape[-1] not in (2, 3):
        raise PoseFileError(
            f"{where}: keypoint has shape {keypoint.shape}, "
            "expected [M, T, V, C] with C in {2, 3}"
        )
    persons, frames, joints, channels = keypoint.shape
    if persons == 0:
        raise PoseFileError(f"{where}: empty clip: keypoint has no persons (M=0)")
    if frames == 0:
        raise PoseFileError(f"{where}: empty clip: keypoint has no frames (T=0)")
    if joints == 0:
        raise PoseFileError(f"{where}: keypoint has no joints (V=0)")

    total_frames = _integer(clip["total_frames"], "total_frames", where)
    if total_frames != frames:
        raise PoseFileError(
            f"{where}: total_frames is {total_frames} but keypoint has T={frames} frames"
        )

    if "keypoint_score" in clip:
        score = _numeric_array(clip["keypoint_score"], "keypoint_score", where)
        if score.shape != keypoint.shape[:3]:
            raise PoseFileError(
                f"{where}: keypoint_score has shape {score.shape}, "
                f"expected [M, T, V] = {keypoint.shape[:3]}"
            )
    elif channels == 3:
        # pyskl's 3D skeletons (NTU-60/120 '3danno') carry no scores: sensor joints count as
        # fully confident, so the score is 1 everywhere.
        score = np.ones(keypoint.shape[:3], dtype=np.float32)
    else:
        raise PoseFileError(
            f"{where}: missing required key 'keypoint_score' (required for 2D keypoints)"
        )

    keypoint = keypoint.astype(np.float32, copy=False)
    score = score.astype(np.float32, copy=False)
    for name, array in (("keypoint", keypoint), ("keypoint_score", score)):
        if not np.isfinite(array).all():
            bad = np.argwhere(~np.isfinite(array))[0]
            raise PoseFileError(
                f"{where}: {name} contains NaN or inf (first at index {tuple(bad.tolist())})"
            )

    label = _integer(clip["label"], "label", where)
    if label < 0:
        raise PoseFileError(f"{where}: label must be >= 0, got {label}")

    out = dict(clip)
    out.update(
        frame_dir=frame_dir,
        label=label,
        total_frames=total_frames,
        keypoint=keypoint,
        keypoint_score=score,
    )
    if "img_shape" in clip:
        out["img_shape"] = _shape(clip["img_shape"], "img_shape", where)
    elif channels == 2:
        raise PoseFileError(
            f"{where}: missing required key 'img_shape' (required for 2D keypoints)"
        )
    if "original_shape" in clip:
        out["original_shape"] = _shape(clip["original_shape"], "original_shape", where)
    _check_bounds(out, where)
    return out


def _check_bounds(clip: dict[str, Any], where: str) -> None:
    """Refuse coordinates no picture or sensor makes (they overflow float32 arithmetic downstream)."""
    keypoint = clip["keypoint"]
    if keypoint.shape[-1] == 3:
        bound, unit = MAX_3D_COORDINATE, "(3D)"
    else:
        side = max(side for key in ("img_shape", "original_shape") if key in clip for side in clip[key])
        bound, unit = COORDINATE_SIDES * side, f"px ({COORDINATE_SIDES:g} x the larger image side, {side})"
    magnitude = np.abs(keypoint)
    if magnitude.max() > bound:
        at = np.unravel_index(int(magnitude.argmax()), keypoint.shape)
        raise PoseFileError(f"{where}: keypoint coordinate {keypoint[at]:.4g} at index {tuple(map(int, at))} "
                            f"is beyond the bound of {bound:g} {unit}")


def _normalise_split(split: Any, clips: list[dict[str, Any]], source: str) -> dict[str, list[str]]:
    if not isinstance(split, dict):
        raise PoseFileError(
            f"{source}: split must be a dict of split name -> frame_dirs, got {_describe(split)}"
        )
    known: dict[str, int] = {}
    for index, clip in enumerate(clips):
        first = known.setdefault(clip["frame_dir"], index)
        if first != index:
            raise PoseFileError(
                f"{source}: clip #{index} ({clip['frame_dir']!r}): frame_dir repeats clip #{first}"
            )
    out: dict[str, list[str]] = {}
    for name, entries in split.items():
        if not isinstance(name, str) or not isinstance(entries, (list, tuple, np.ndarray)):
            raise PoseFileError(f"{source}: split {name!r} must map a name to a list of frame_dirs")
        entries = [str(entry) if isinstance(entry, np.str_) else entry for entry in entries]
        for entry in entries:
            if not isinstance(entry, str):
                raise PoseFileError(f"{source}: split {name!r} holds {_describe(entry)} ({entry!r:.60}), "
                                    "expected frame_dir strings")
            if entry not in known:
                raise PoseFileError(
                    f"{source}: split {name!r} names clip {entry!r}, "
                    "which is not in the annotations"
                )
        out[name] = entries
    return out


def _numeric_array(value: Any, name: str, where: str) -> np.ndarray:
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
        raise PoseFileError(
            f"{where}: {name} must be a numeric numpy array, got {_describe(value)}"
        )
    return value


def _is_integer(value: Any) -> bool:
    if type(value) is int:  # the common case, checked first: this runs for every clip
        return True
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _integer(value: Any, name: str, where: str) -> int:
    if not _is_integer(value):
        raise PoseFileError(f"{where}: {name} must be an integer, got {value!r}")
    return int(value)


def _shape(value: Any, name: str, where: str) -> tuple[int, int]:
    is_sequence = isinstance(value, (tuple, list, np.ndarray))
    sides = list(value) if is_sequence else []
    if len(sides) != 2 or not all(_is_integer(side) and side > 0 for side in sides):
        raise PoseFileError(
            f"{where}: {name} must be (height, width) in positive integers, got {value!r}"
        )
    return int(sides[0]), int(sides[1])


def _where(source: str, index: int, frame_dir: Any) -> str:
    """How messages name a clip: the file, the clip's index and its frame_dir when it has one."""
    return f"{source}: clip #{index}" + (f" ({frame_dir!r})" if isinstance(frame_dir, str) else "")


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array of shape {value.shape}"
    return f"an object of type {type(value).__name__!r}"
