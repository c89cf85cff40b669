"""Training frames for the estimators: rendered video frames with their ground truth, as COCO.

    export_frames([FrameSource("data/ntu60/scenes.npz", "data/ntu60/videos",
                               train=["xsub_train"], val=["xsub_val"])], "data/estimators/frames")

writes `images/*.jpg`, `train.json` and `val.json` in the COCO person-keypoints format that mmdet's
and mmpose's CocoDataset and CocoMetric read, so the detector's box AP and the pose estimators'
OKS keypoint AP come from their own code. Frames are every `every`-th frame of each clip, at an
offset drawn from (seed, clip), so the same arguments always give the same set. Coordinates are
video pixels (scenes scaled by the renderer's factor).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm.auto import tqdm

from posec3d.atomic import atomic_path, write_json
from posec3d.seeding import named_rng
from posec3d.skeleton import JOINTS, LIMBS

log = logging.getLogger(__name__)

FORMAT = "posec3d-frames/1"
CATEGORY = {"id": 1, "name": "person", "supercategory": "person", "keypoints": list(JOINTS),
            # COCO's skeleton lists limbs with 1-based joint indices.
            "skeleton": [[a + 1, b + 1] for a, b in LIMBS]}


@dataclass(frozen=True)
class FrameSource:
    """One dataset's scenes and rendered videos, and which splits feed train and val."""

    scenes: str | Path
    videos: str | Path
    train: Sequence[str] = ()
    val: Sequence[str] = ()


@dataclass
class Frame:
    """One image and its persons in pixels: boxes x1 y1 x2 y2 [N,4], keypoints [N,17,2],
    visibility [N,17] (0 outside, 1 occluded, 2 visible)."""

    name: str
    image: np.ndarray
    boxes: np.ndarray
    keypoints: np.ndarray
    visibility: np.ndarray
    source: dict[str, Any] = field(default_factory=dict)


def frame_indices(total: int, every: int, key: str, seed: int) -> list[int]:
    """Every `every`-th frame of a clip of `total` frames, from an offset fixed by (seed, key)."""
    if every < 1:
        raise ValueError(f"frames: every must be >= 1, got {every}")
    offset = int(named_rng(seed, key).integers(every))
    return list(range(min(offset, max(total - 1, 0)), total, every))


def coco_annotations(frame: Frame, image_id: int, first_id: int) -> list[dict[str, Any]]:
    """COCO person annotations of a frame's persons that are in view (non-empty box)."""
    anns = []
    for box, kps, vis in zip(frame.boxes, frame.keypoints, frame.visibility):
        w, h = float(box[2] - box[0]), float(box[3] - box[1])
        if w < 1 or h < 1:
            continue
        vis = vis.astype(int)
        xy = np.where(vis[:, None] > 0, kps, 0.0)
        keypoints = np.concatenate([xy, vis[:, None]], axis=1).reshape(-1)
        anns.append({"id": first_id + len(anns), "image_id": image_id, "category_id": 1, "iscrowd": 0,
                     "bbox": [round(float(box[0]), 2), round(float(box[1]), 2), round(w, 2), round(h, 2)],
                     "area": round(w * h, 2), "num_keypoints": int((vis > 0).sum()),
                     "keypoints": [round(float(v), 2) for v in keypoints]})
    return anns


def write_coco(frames: Iterable[Frame], out_dir: str | Path, name: str, start_id: int = 0) -> dict[str, Any]:
    """Write the frames' images under out_dir/images and their COCO file out_dir/<name>.json."""
    out_dir = Path(out_dir)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for number, frame in enumerate(frames):
        image_id = start_id + number + 1
        file_name = f"{frame.name}.jpg"
        with atomic_path(out_dir / "images" / file_name) as tmp:
            if not cv2.imwrite(str(tmp), cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR)):
                raise ValueError(f"frames: could not write image {out_dir / 'images' / file_name}")
        h, w = frame.image.shape[:2]
        images.append({"id": image_id, "file_name": file_name, "height": int(h), "width": int(w), **frame.source})
        annotations += coco_annotations(frame, image_id, first_id=image_id * 1000)
    coco = {"info": {"format": FORMAT, "description": f"posec3d estimator frames ({name})"},
            "images": images, "annotations": annotations, "categories": [CATEGORY]}
    write_json(out_dir / f"{name}.json", coco)
    log.info("wrote %s: %d images, %d persons", out_dir / f"{name}.json", len(images), len(annotations))
    return coco


def video_frames(source: FrameSource, splits: Sequence[str], every: int, seed: int,
                 max_clips: int | None = None, progress: bool = False) -> Iterator[Frame]:
    """The sampled frames of a source's clips in `splits`, with ground truth in video pixels."""
    from posec3d.storage import load_poses
    from posec3d.video import check_indexed_size, read_video, video_annotations

    scenes = load_poses(source.scenes)
    videos = Path(source.videos)
    index_path = videos / "index.json"
    if not index_path.is_file():
        raise FileNotFoundError(f"frames: no video index {index_path} (render the videos first)")
    index = json.loads(index_path.read_text())["clips"]
    wanted: list[str] = []
    for split in splits:
        if split not in scenes["split"]:
            raise KeyError(f"frames: {source.scenes} has no split {split!r} (has {sorted(scenes['split'])})")
        wanted += [d for d in scenes["split"][split] if d not in wanted]
    clips = {c["frame_dir"]: c for c in scenes["annotations"]}
    wanted = wanted[:max_clips] if max_clips is not None else wanted
    for frame_dir in tqdm(wanted, disable=not progress, desc=f"frames {Path(source.scenes).parent.name}"):
        if frame_dir not in index:
            raise KeyError(f"frames: clip {frame_dir} of {source.scenes} is not in {index_path}")
        video = read_video(videos / f"{frame_dir}.avi")
        check_indexed_size(video, int(index[frame_dir]["height"]), int(index[frame_dir]["width"]),
                           videos / f"{frame_dir}.avi", index_path)
        truth = video_annotations(clips[frame_dir], index[frame_dir]["scale"])
        for t in frame_indices(min(len(video), truth["box"].shape[1]), every, frame_dir, seed):
            yield Frame(f"{frame_dir}_{t:05d}", video[t], truth["box"][:, t], truth["keypoint"][:, t],
                        truth["visibility"][:, t], source={"frame_dir": frame_dir, "frame": t})


def export_frames(sources: Sequence[FrameSource], out_dir: str | Path, every: int = 8, seed: int = 0,
                  max_clips: int | None = None, progress: bool = False) -> dict[str, int]:
    """Write out_dir/{images/, train.json, val.json} from the sources' train and val splits.

    Returns the number of images per part. `max_clips` caps the clips taken per source and part.
    """
    if not sources:
        raise ValueError("frames: no sources given")
    counts = {}
    start = 0
    for part in ("train", "val"):
        frames = (f for s in sources
                  for f in video_frames(s, getattr(s, part), every, seed, max_clips, progress))
        coco = write_coco(frames, out_dir, part, start_id=start)
        counts[part] = len(coco["images"])
        start += 10 ** 6  # image ids stay unique across the two files
    return counts
