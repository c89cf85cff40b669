"""A small synthetic gym analog rendered to video, for the tests that decode or extract from it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from posec3d.storage import save_poses
from posec3d.synth import generate, synth_config
from posec3d.video import render_dataset


def render_gym(root: Path, width: int, **fields: Any) -> None:
    """Gym scenes (seed 0, preset fields overridden) in root/scenes.npz, rendered to root/videos."""
    save_poses(generate(synth_config("gym", **fields), seed=0), root / "scenes.npz")
    render_dataset(root / "scenes.npz", root / "videos", width=width, seed=0)


NTU_BOX = (900.0, 230.0, 1150.0, 890.0)  # the right-hand person of tests/data/ntu_sample.avi, first frame


def video_folder(root: Path, width: int = 160) -> tuple[Path, Path]:
    """A user's folder of videos and its labels file: rendered gym clips written as .mp4 (two
    classes, three clips each) and the real NTU sample (.avi, 1920x1080), each with its split and
    the first-frame box of the person to follow (video, label, split, x1, y1, x2, y2, box_frame)."""
    from posec3d.extract.boxes import gt_boxes
    from posec3d.storage import load_poses
    from posec3d.video import read_video, write_video
    from tests.sample_data import NTU_SAMPLE

    render_gym(root / "gym", width, num_classes=2, clips_per_class=3, length_median=14, length_range=(10, 16),
               distractors=(0, 1))
    scenes = load_poses(root / "gym" / "scenes.npz")
    classes = scenes["meta"]["classes"]
    split_of = {name: split for split, names in scenes["split"].items() for name in names}
    videos = root / "videos"
    videos.mkdir()
    rows = ["video,label,split,x1,y1,x2,y2,box_frame"]
    for clip in scenes["annotations"]:
        name = clip["frame_dir"]
        write_video(read_video(root / "gym" / "videos" / f"{name}.avi"), videos / f"{name}.mp4", fps=15)
        boxes = gt_boxes(clip, width / clip["img_shape"][1])
        first = int(np.flatnonzero(boxes.valid[0])[0])
        box = ",".join(f"{v:.1f}" for v in boxes.box[0, first])
        rows.append(f"{name}.mp4,{classes[clip['label']]},{split_of[name]},{box},{first}")
    shutil.copy(NTU_SAMPLE, videos / "ntu_sample.avi")
    rows.append(f"ntu_sample.avi,{classes[0]},val,{','.join(map(str, NTU_BOX))},0")
    labels = root / "labels.csv"
    labels.write_text("\n".join(rows) + "\n")
    return videos, labels
