"""How fast are heatmap volumes rendered? Batched torch path vs mmaction2's GeneratePoseTarget.

Renders 17x48x56x56 volumes (the paper's Pose-SlowOnly input), joints and limbs, 1 and 2
persons, four ways:
- reused: posec3d.volumes.heatmaps rendering each batch into the same output buffer, as
  training does (posec3d.data.VolumeInput);
- fresh: the same, into a newly allocated output every call (first-touch page faults and all);
- mmaction2: mmaction2's GeneratePoseTarget (numpy, one clip at a time; pyskl's is the same
  code), the baseline: persons combined by their maximum, so the fast path renders with
  combine="max" too (--combine), the same volume up to mmaction2's 3-sigma cut-off;
- reference: the per-frame, per-channel, per-person float64 loops of tests/reference_heatmaps.py,
  the oracle the tests check the fast path against.
Limb maps are computed only near their limbs, so their speed depends on the poses. Rows
"synthetic" render poses as training sees them: synthetic NTU-60-analog clips (16 one-person,
16 two-person) through prepare_clip's training transforms. Rows "scattered" put every joint
anywhere in the middle of the canvas: a worst case of long limbs crossing in all directions.
Also prints two memory floors: zeroing the reused batch, and allocating and filling a new one.

    .venv/bin/python benchmarks/bench_volumes.py [--batch 16] [--threads 1] [--device cpu]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.reference_heatmaps

from posec3d.skeleton import NUM_JOINTS, NUM_LIMBS  # noqa: E402
from posec3d.synth import generate, pose_source, synth_config  # noqa: E402
from posec3d.volumes import VolumeConfig, prepare_clip  # noqa: E402
from posec3d.volumes.heatmaps import joint_heatmaps, limb_heatmaps  # noqa: E402
from tests.reference_heatmaps import (  # noqa: E402
    reference_joint_heatmaps,
    reference_limb_heatmaps,
)

try:
    from mmaction.datasets.transforms import GeneratePoseTarget
except ImportError as err:  # pragma: no cover - the project's install has it
    raise SystemExit(f"mmaction2 is the baseline and does not import: {err}") from err

CLIP_LEN, SIZE = 48, (56, 56)
FAST = {"joint": joint_heatmaps, "limb": limb_heatmaps}
REFERENCE = {"joint": reference_joint_heatmaps, "limb": reference_limb_heatmaps}
CHANNELS = {"joint": NUM_JOINTS, "limb": NUM_LIMBS}

Poses = tuple[np.ndarray, np.ndarray]  # kp [N, M, T, V, 2], score [N, M, T, V]


def mmaction_volumes(kp: np.ndarray, score: np.ndarray, modality: str) -> list[np.ndarray]:
    """mmaction2's GeneratePoseTarget on each clip, as its pipeline calls it: [T, C, H, W] each."""
    target = GeneratePoseTarget(sigma=0.6, with_kp=modality == "joint", with_limb=modality == "limb")
    return [target.transform({"keypoint": kp[i], "keypoint_score": score[i], "img_shape": SIZE})["imgs"]
            for i in range(len(kp))]


def best_seconds(fn: Callable[[], object], repeats: int, device: torch.device) -> float:
    """Fastest of `repeats` timed calls, after one untimed warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    return min(times)


def synthetic_poses(n: int, persons: int, seed: int = 0) -> Poses:
    """n volumes' coordinates from synthetic NTU-60-analog clips with `persons` persons each."""
    clips = pose_source(generate(synth_config("ntu60", clips_per_class=1), seed=seed), "gt-2d")
    clips = [clip for clip in clips["annotations"] if len(clip["keypoint"]) == persons]
    if len(clips) < n:
        raise SystemExit(f"only {len(clips)} synthetic clips with {persons} persons, need {n}")
    cfg, rng = VolumeConfig(clip_len=CLIP_LEN, size=SIZE), np.random.default_rng(seed)
    items = [prepare_clip(clip, cfg, test_mode=False, rng=rng) for clip in clips[:n]]
    return np.concatenate([kp for kp, _ in items]), np.concatenate([score for _, score in items])


def scattered_poses(n: int, persons: int, seed: int = 0) -> Poses:
    """Joints scattered uniformly over the middle of the canvas, scores in [0, 1]."""
    rng = np.random.default_rng(seed)
    kp = rng.uniform(8, 48, (n, persons, CLIP_LEN, NUM_JOINTS, 2)).astype(np.float32)
    score = rng.uniform(0, 1, (n, persons, CLIP_LEN, NUM_JOINTS)).astype(np.float32)
    return kp, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16, help="volumes per fast-path call")
    parser.add_argument("--reference-volumes", type=int, default=2,
                        help="volumes mmaction2 and the reference loop render per timed call")
    parser.add_argument("--combine", choices=("max", "sum"), default="max",
                        help="persons on one canvas, fast path and reference loop (mmaction2: max)")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls; the best counts")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    batch_shape = (args.batch, NUM_JOINTS, CLIP_LEN, *SIZE)

    def per_second(volumes: int, fn: Callable[[], object]) -> float:
        return volumes / best_seconds(fn, args.repeats, device)

    print(f"{platform.machine()}, {os.cpu_count()} CPUs; device "
          f"{args.device}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"17x{CLIP_LEN}x{SIZE[0]}x{SIZE[1]} volumes, batch {args.batch}")
    print("load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    zeroing = per_second(args.batch, torch.empty(batch_shape, device=device).zero_)
    fresh_fill = per_second(args.batch, lambda: torch.empty(batch_shape, device=device).fill_(1))
    print(f"memory floors: zeroing the reused batch {zeroing:.0f} volumes/s, "
          f"allocating and filling a new one {fresh_fill:.0f} volumes/s\n")
    print(f"persons combined by {args.combine} (mmaction2: max)")
    print("| poses | modality | persons | reused (vol/s) | fresh (vol/s) | mmaction2 (vol/s) "
          "| reference loop (vol/s) | vs mmaction2, reused | vs mmaction2, fresh | vs reference loop, reused |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for poses_name, poses in (("synthetic", synthetic_poses), ("scattered", scattered_poses)):
        for modality in ("joint", "limb"):
            for persons in (1, 2):
                kp, score = poses(args.batch, persons)
                kp_t, score_t = torch.from_numpy(kp).to(device), torch.from_numpy(score).to(device)
                fast = FAST[modality]
                out = torch.empty((args.batch, CHANNELS[modality], CLIP_LEN, *SIZE),
                                  device=device)  # first touched by the warm-up call
                reused = per_second(args.batch, lambda: fast(kp_t, score_t, SIZE, combine=args.combine, out=out))
                fresh = per_second(args.batch, lambda: fast(kp_t, score_t, SIZE, combine=args.combine))
                few = slice(0, args.reference_volumes)
                mm = per_second(args.reference_volumes, lambda: mmaction_volumes(kp[few], score[few], modality))
                ref = per_second(args.reference_volumes,
                                 lambda: REFERENCE[modality](kp[few], score[few], SIZE, combine=args.combine))
                print(f"| {poses_name} | {modality} | {persons} | {reused:.0f} | {fresh:.0f} | {mm:.1f} | "
                      f"{ref:.1f} | {reused / mm:.1f}x | {fresh / mm:.1f}x | {reused / ref:.1f}x |", flush=True)
    print("\nload average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
