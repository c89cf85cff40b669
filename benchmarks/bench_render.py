"""How fast are synthetic scenes rendered to video, and how big are the people in them?

For each dataset's scenes file (data/<d>/scenes.npz), renders every k-th clip at --width in one
process, timing the render (backdrop, bodies, noise) and the MJPG write separately, then
extrapolates to the whole scenes file. Also reports the person-of-interest heights in video
pixels (box height / 1.2, the box has a 10% margin on each side) over every clip and frame in
which the person is in view, and the MJPG bytes per frame.

    .venv/bin/python benchmarks/bench_render.py [--width 224] [--clips 24] [--datasets gym ntu60 ntu120 k400]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posec3d.storage import load_poses  # noqa: E402
from posec3d.video import render_clip, video_size, write_video  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=224)
    parser.add_argument("--clips", type=int, default=24, help="clips rendered per dataset")
    parser.add_argument("--datasets", nargs="+", default=["gym", "ntu60", "ntu120", "k400"])
    args = parser.parse_args()
    cv2.setNumThreads(1)
    print("| dataset | clips | frames | persons/frame | render ms/frame | write ms/frame | frames/s | "
          "KB/frame | est. whole set, 1 process (s) | POI height px: p10 / median / p90 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in args.datasets:
        scenes = load_poses(Path("data") / name / "scenes.npz")
        clips = scenes["annotations"]
        step = max(1, len(clips) // args.clips)
        chosen = clips[::step][: args.clips]
        render_s = write_s = 0.0
        frames = persons = size = 0
        with tempfile.TemporaryDirectory() as tmp:
            for clip in chosen:
                start = time.perf_counter()
                video = render_clip(clip, scenes["meta"], args.width, seed=0)
                mid = time.perf_counter()
                path = Path(tmp) / f"{clip['frame_dir']}.avi"
                write_video(video, path, clip["fps"])
                write_s += time.perf_counter() - mid
                render_s += mid - start
                frames += len(video)
                persons += len(video) * len(clip["poi"])
                size += path.stat().st_size
        total = sum(int(c["total_frames"]) for c in clips)
        per_frame = (render_s + write_s) / frames
        heights = []
        for clip in clips:
            _, _, scale = video_size(clip["img_shape"], args.width)
            box = clip["box"][clip["poi"]] * scale
            h = (box[..., 3] - box[..., 1]) / 1.2
            heights.append(h[h > 0])
        p10, p50, p90 = np.percentile(np.concatenate(heights), [10, 50, 90])
        print(f"| {name} | {len(chosen)} | {frames} | {persons / frames:.1f} | {1e3 * render_s / frames:.2f} | "
              f"{1e3 * write_s / frames:.2f} | {1 / per_frame:.0f} | {size / frames / 1024:.1f} | "
              f"{total * per_frame:.0f} ({total} frames) | {p10:.0f} / {p50:.0f} / {p90:.0f} |")


if __name__ == "__main__":
    main()
