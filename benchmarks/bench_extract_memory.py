"""Peak memory and speed of extracting long 1080p videos: streaming keeps memory flat in a video's length.

Writes 1920x1080, 30 frames/s videos of the given lengths (the real NTU sample's 72 frames played
forwards and backwards, MPEG-4 in .mp4), lists each with a labels file, and runs
`posec3d index-videos` and `posec3d extract --clips ... --boxes detection` in a child process,
reading its peak resident memory (the child's ru_maxrss) and the extraction's own summary (time
per stage, hence frames per second of detection and crops per second of pose). Beside it, in the
same run, the baseline: decoding a video whole into one array (`posec3d.video.read_video`, what
extraction did before it streamed), at shorter lengths, in a child process of its own.

The estimators are the kept configs with random weights (speed per frame and per crop does not
depend on them, only on how many boxes the detector keeps: up to --max-persons per frame).

    .venv/bin/python benchmarks/bench_extract_memory.py --minutes 1 5 --whole-seconds 10 20 --threads 2
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posec3d.storage import load_poses  # noqa: E402
from posec3d.video import iter_video  # noqa: E402
from posec3d.video.io import video_writer  # noqa: E402
from tests.estimator_folders import random_estimator  # noqa: E402
from tests.sample_data import NTU_SAMPLE  # noqa: E402

FPS = 30.0


def long_video(path: Path, seconds: float) -> None:
    """The NTU sample's frames, forwards then backwards, for `seconds` at 30 frames/s, streamed out."""
    frames = [f for batch in iter_video(NTU_SAMPLE, batch=72) for f in batch]
    loop = frames + frames[-2:0:-1]
    with video_writer(path, FPS, frames[0].shape[:2]) as write:
        for i in range(int(seconds * FPS)):
            write(loop[i % len(loop)])


def child(args: list[str], logs: Path) -> tuple[float, float, str]:
    """Run a command (its output into files under `logs`); its wall seconds, peak resident memory
    (MiB, the child's own ru_maxrss) and its standard error."""
    out, err = logs / "stdout.txt", logs / "stderr.txt"
    start = time.perf_counter()
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=stdout, stderr=stderr,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{out.read_text()}{err.read_text()[-3000:]}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024, err.read_text()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1.0, 10.0], help="streamed video lengths")
    parser.add_argument("--whole-seconds", type=float, nargs="*", default=[10.0, 30.0],
                        help="lengths decoded whole (the baseline)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-persons", type=int, default=2)
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        estimators = {name: random_estimator(name, tmp / "estimators" / name) for name in ("detector", "hq")}
        print(f"1920x1080 at {FPS:g} frames/s (MPEG-4 .mp4), {args.threads} torch threads, random kept "
              f"estimators, up to {args.max_persons} persons per frame")
        print("| what | video | frames | wall (min) | peak memory (MiB) | detection (frames/s) | pose (crops/s) |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for seconds in args.whole_seconds:
            video = tmp / f"whole_{seconds:g}s.mp4"
            long_video(video, seconds)
            code = f"from posec3d.video import read_video; print(read_video({str(video)!r}).shape)"
            wall, peak, _ = child([python, "-c", code], tmp)
            print(f"| decode whole (read_video, before) | {seconds:g} s | {int(seconds * FPS)} | {wall / 60:.1f} "
                  f"| {peak:.0f} | - | - |", flush=True)
            video.unlink()
        for minutes in args.minutes:
            folder = tmp / f"videos_{minutes:g}"
            folder.mkdir()
            long_video(folder / "long.mp4", minutes * 60)
            labels = folder.parent / f"labels_{minutes:g}.csv"
            labels.write_text("video,label,split\nlong.mp4,a,val\n")
            clips = tmp / f"clips_{minutes:g}.json"
            child([python, "-m", "posec3d", "index-videos", "--videos", str(folder), "--labels", str(labels),
                   "--out", str(clips)], tmp)
            wall, peak, err = child([
                python, "-m", "posec3d", "extract", "--clips", str(clips), "--pose", str(estimators["hq"]),
                "--detector", str(estimators["detector"]), "--boxes", "detection", "--score-threshold", "0.5",
                "--max-persons", str(args.max_persons), "--threads", str(args.threads),
                "--out", str(tmp / f"poses_{minutes:g}.npz")], tmp)
            times = dict(re.findall(r"(decode|detect|pose|write) ([\d.]+)s", err))
            clip = load_poses(tmp / f"poses_{minutes:g}.npz")["annotations"][0]
            frames, crops = clip["total_frames"], int((clip["keypoint_score"].sum(-1) > 0).sum())
            print(f"| streamed extraction (detection boxes) | {minutes:g} min | {frames} | {wall / 60:.1f} | "
                  f"{peak:.0f} | {frames / float(times['detect']):.1f} | {crops / float(times['pose']):.1f} |",
                  flush=True)
            print(f"|  (time split: {', '.join(f'{k} {float(v) / 60:.1f} min' for k, v in times.items())}) "
                  "| | | | | | |", flush=True)
            (folder / "long.mp4").unlink()


if __name__ == "__main__":
    main()
