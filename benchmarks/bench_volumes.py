"""How fast are heatmap volumes rendered? Batched torch path vs the plain reference loops.

Renders 17x48x56x56 volumes (the paper's Pose-SlowOnly input) from random coordinates, for
joints and limbs, 1 and 2 persons, with posec3d.volumes.heatmaps (N volumes per call) and
with the per-frame, per-channel, per-person reference of tests/reference_heatmaps.py (the
oracle the tests check the fast path against). Also times allocating and filling a fresh
output batch, a floor that no renderer returning new tensors can beat.

    .venv/bin/python benchmarks/bench_volumes.py [--batch 16] [--threads 2] [--device cpu]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.reference_heatmaps

from posec3d.skeleton import NUM_JOINTS  # noqa: E402
from posec3d.volumes.heatmaps import joint_heatmaps, limb_heatmaps  # noqa: E402
from tests.reference_heatmaps import (  # noqa: E402
    reference_joint_heatmaps,
    reference_limb_heatmaps,
)

CLIP_LEN, SIZE = 48, (56, 56)
FAST = {"joint": joint_heatmaps, "limb": limb_heatmaps}
REFERENCE = {"joint": reference_joint_heatmaps, "limb": reference_limb_heatmaps}


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


def poses(rng: np.random.Generator, n: int, persons: int) -> tuple[np.ndarray, np.ndarray]:
    """Joints scattered over the middle of the canvas, scores in [0, 1]."""
    kp = rng.uniform(8, 48, (n, persons, CLIP_LEN, NUM_JOINTS, 2)).astype(np.float32)
    score = rng.uniform(0, 1, (n, persons, CLIP_LEN, NUM_JOINTS)).astype(np.float32)
    return kp, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16, help="volumes per fast-path call")
    parser.add_argument("--reference-volumes", type=int, default=2,
                        help="volumes the reference renders per timed call")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls; the best counts")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    rng = np.random.default_rng(0)
    shape = (args.batch, NUM_JOINTS, CLIP_LEN, *SIZE)
    floor = args.batch / best_seconds(
        lambda: torch.empty(shape, device=device).fill_(1.0), args.repeats, device)

    print(f"device {args.device}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"17x{CLIP_LEN}x{SIZE[0]}x{SIZE[1]} volumes, batch {args.batch}")
    print(f"fresh output batch (allocate + fill): {floor:.0f} volumes/s\n")
    print("| modality | persons | fast (vol/s) | reference (vol/s) | speed-up |")
    print("| --- | --- | --- | --- | --- |")
    for modality in ("joint", "limb"):
        for persons in (1, 2):
            kp, score = poses(rng, args.batch, persons)
            kp_t, score_t = torch.from_numpy(kp).to(device), torch.from_numpy(score).to(device)
            fast = args.batch / best_seconds(
                lambda: FAST[modality](kp_t, score_t, SIZE), args.repeats, device)
            few = slice(0, args.reference_volumes)
            ref = args.reference_volumes / best_seconds(
                lambda: REFERENCE[modality](kp[few], score[few], SIZE), args.repeats, device)
            print(f"| {modality} | {persons} | {fast:.0f} | {ref:.1f} | {fast / ref:.1f}x |")


if __name__ == "__main__":
    main()
