"""Kinetics-400 in pyskl's kpfile layout, assembled into standard per-clip keypoint arrays.

pyskl's k400_hrnet.pkl is a table of contents, {"split": ..., "annotations": [clip, ...]}, whose
clips carry the usual frame_dir / label / img_shape / original_shape / total_frames plus

    raw_file    path of the kpfile that holds the clip's skeletons,
    frame_inds  int [N]: the frame of each of the clip's N skeletons, non-decreasing,
    box_score   float [N]: the detection score of each skeleton's person box,
    valid       {box_thr: number of frames left with a skeleton of box score >= box_thr}.

Each kpfile is a pickle {frame_dir: {"keypoint": float [N, V, 3] (x, y, score)}}. pyskl caches the
kpfiles in memcached and builds keypoint [M,T,V,2] / keypoint_score [M,T,V] per sample with its
DecompressPose transform; `load_kinetics` does the same once, at load time.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath
from typing import Any

import numpy as np

from .errors import PoseFileError
from .restricted_pickle import load_pickle_restricted
from .validate import normalise_dataset

# The kpfile-layout fields that assembly consumes: they describe the skeleton list, which no
# longer exists once the skeletons sit in person slots.
KPFILE_FIELDS: tuple[str, ...] = ("raw_file", "frame_inds", "box_score", "valid")


def load_kinetics(
    annotation_path: str | os.PathLike[str],
    kpfile_dir: str | os.PathLike[str] | None = None,
    *,
    box_thr: float | None = None,
    squeeze: bool = True,
    max_person: int = 10,
) -> dict[str, Any]:
    """Load pyskl's Kinetics-400 annotations and kpfiles as a standard, validated pose dataset.

    kpfile_dir: the folder holding the kpfiles; each clip's raw_file is looked up there by file
        name. None opens raw_file as written (relative paths from the current directory, as
        pyskl does from its root).
    box_thr: keep only skeletons whose box_score >= box_thr. pyskl's K400 configs apply 0.5 to the
        training split (its `anno_inds`) and no threshold to val/test, which is what None does.
    squeeze, max_person: DecompressPose's arguments, with its defaults. squeeze drops frames
        without skeletons (total_frames becomes the number of frames with one); persons fill
        slots per frame in file order, and when a frame has more than max_person skeletons, every
        frame's persons are ranked by summed keypoint score and the lowest are dropped.

    Every file goes through the restricted unpickler; each kpfile is read once. Keypoints keep
    the kpfile's precision up to the float32 normalisation (pyskl rounds them to float16 first,
    which changes nothing for kpfiles stored in float16).
    """
    source = os.fspath(annotation_path)
    table = load_pickle_restricted(source)
    if not isinstance(table, dict) or not isinstance(table.get("annotations"), list):
        raise PoseFileError(
            f"{source}: not a pose annotation file: expected a dict with an 'annotations' list"
        )
    clips = list(table["annotations"])
    clips_of_kpfile: dict[str, list[int]] = {}
    for index, clip in enumerate(clips):
        if not isinstance(clip, dict) or not isinstance(clip.get("raw_file"), str):
            raise PoseFileError(
                f"{source}: clip #{index} has no 'raw_file': not in pyskl's kpfile layout"
            )
        clips_of_kpfile.setdefault(clip["raw_file"], []).append(index)

    for raw_file, indices in clips_of_kpfile.items():
        kpfile_path = (
            Path(kpfile_dir) / PurePath(raw_file).name if kpfile_dir is not None else Path(raw_file)
        )
        kpfile = load_pickle_restricted(kpfile_path)
        if not isinstance(kpfile, dict):
            raise PoseFileError(
                f"{kpfile_path}: not a kpfile: expected a dict of frame_dir -> {{'keypoint': ...}}"
            )
        for index in indices:
            where = f"{source}: clip #{index} ({clips[index].get('frame_dir')!r})"
            clips[index] = _assemble_clip(
                clips[index], kpfile, kpfile_path, where, box_thr, squeeze, max_person
            )
    return normalise_dataset({**table, "annotations": clips}, source)


def _assemble_clip(
    clip: dict[str, Any],
    kpfile: dict[str, Any],
    kpfile_path: Path,
    where: str,
    box_thr: float | None,
    squeeze: bool,
    max_person: int,
) -> dict[str, Any]:
    record = kpfile.get(clip.get("frame_dir"))
    if not isinstance(record, dict) or not isinstance(record.get("keypoint"), np.ndarray):
        raise PoseFileError(f"{where}: {kpfile_path} holds no 'keypoint' array for this clip")
    skeletons = record["keypoint"]
    frame_inds = clip.get("frame_inds")
    if skeletons.ndim != 3 or skeletons.shape[-1] != 3 or skeletons.dtype.kind != "f":
        raise PoseFileError(
            f"{where}: kpfile keypoint is a {skeletons.dtype} array of shape {skeletons.shape}, "
            "expected float [N, V, 3]"
        )
    if (
        not isinstance(frame_inds, np.ndarray)
        or frame_inds.shape != skeletons.shape[:1]
        or frame_inds.dtype.kind not in "iu"
    ):
        raise PoseFileError(
            f"{where}: frame_inds must be an int array, one entry per skeleton ({len(skeletons)})"
        )
    if box_thr is not None:
        box_score = clip.get("box_score")
        if not isinstance(box_score, np.ndarray) or box_score.shape != frame_inds.shape:
            raise PoseFileError(
                f"{where}: box_thr needs a box_score array with one entry per skeleton"
            )
        keep = box_score >= box_thr
        frame_inds, skeletons = frame_inds[keep], skeletons[keep]
    keypoint, score, total_frames = _decompress(
        frame_inds, skeletons, clip.get("total_frames"), squeeze, max_person, where
    )
    out = {key: value for key, value in clip.items() if key not in KPFILE_FIELDS}
    out.update(keypoint=keypoint, keypoint_score=score, total_frames=total_frames)
    return out


def _decompress(
    frame_inds: np.ndarray,
    skeletons: np.ndarray,
    total_frames: Any,
    squeeze: bool,
    max_person: int,
    where: str,
) -> tuple[np.ndarray, np.ndarray, Any]:
    """pyskl's DecompressPose: a skeleton list [N, V, 3] -> keypoint [M,T,V,2], score [M,T,V]."""
    if len(frame_inds) == 0:
        raise PoseFileError(f"{where}: empty clip: no skeletons (after any box_thr)")
    if np.any(np.diff(frame_inds) < 0):
        raise PoseFileError(f"{where}: frame_inds must be non-decreasing")
    if squeeze:
        frame_inds = np.unique(frame_inds, return_inverse=True)[1]
        total_frames = int(frame_inds[-1]) + 1
    elif (
        frame_inds[0] < 0
        or not isinstance(total_frames, (int, np.integer))
        or frame_inds[-1] >= total_frames
    ):
        raise PoseFileError(f"{where}: frame_inds lie outside [0, total_frames={total_frames!r})")

    count = len(frame_inds)
    # Person slot = order of appearance within the frame (frame_inds are sorted).
    slot = np.arange(count) - np.searchsorted(frame_inds, frame_inds, side="left")
    num_person = int(slot.max()) + 1
    if num_person > max_person:
        # Rank each frame's persons by summed keypoint score, ties in file order (pyskl's stable
        # sort; it sums in float16, here float32, so only near-ties could order differently).
        score_sum = skeletons[..., 2].sum(axis=-1, dtype=np.float32)
        order = np.lexsort((slot, -score_sum, frame_inds))
        ranked_frames = frame_inds[order]
        slot = np.empty_like(slot)
        slot[order] = np.arange(count) - np.searchsorted(ranked_frames, ranked_frames, side="left")
        keep = slot < max_person
        frame_inds, slot, skeletons = frame_inds[keep], slot[keep], skeletons[keep]
        num_person = max_person

    joints = skeletons.shape[1]
    keypoint = np.zeros((num_person, total_frames, joints, 2), dtype=skeletons.dtype)
    score = np.zeros((num_person, total_frames, joints), dtype=skeletons.dtype)
    keypoint[slot, frame_inds] = skeletons[..., :2]
    score[slot, frame_inds] = skeletons[..., 2]
    return keypoint, score, total_frames
