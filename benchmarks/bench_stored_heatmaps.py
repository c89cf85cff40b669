"""Volumes from stored heatmaps vs from coordinates: per-clip preparation and batched rendering.

Synthetic FineGYM-analog clips (GT-2D poses) get stored heatmaps of an estimator's size (random
values: the warp's cost does not depend on them) over a box around each person, as
`posec3d extract --heatmaps` writes them. Times, in training mode (random crop and flip):
`prepare` per clip (numpy, a DataLoader worker's share), `collate` and `render` per batch into
a reused buffer (as posec3d.data.VolumeInput does), for both input sources.

    .venv/bin/python benchmarks/bench_stored_heatmaps.py [--threads 1] [--device cpu]
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
import torch

from posec3d.synth import generate, pose_source, synth_config
from posec3d.volumes import (
    VolumeConfig,
    collate_coordinates,
    collate_stored,
    prepare_clip,
    prepare_stored,
    render,
    render_stored,
)

# name -> (volume config, batch size); heatmap sizes (h, w): the project's top-down estimators
# (32x24) and the paper's HRNet-w32 256x192 (64x48).
VOLUMES = {
    "default 12x32x32": (VolumeConfig(clip_len=12, size=(32, 32)), 16),
    "paper 48x56x56": (VolumeConfig(clip_len=48, size=(56, 56)), 16),
}
HEATMAPS = [(32, 24), (64, 48)]


def with_heatmaps(clip: dict, size: tuple[int, int], rng: np.random.Generator) -> dict:
    """`clip` with random stored heatmaps over a 1.25x box around each person's joints."""
    kp = clip["keypoint"]
    lo, hi = kp.min(axis=2), kp.max(axis=2)
    centre, half = (lo + hi) / 2, (hi - lo) / 2 * 1.25
    box = np.concatenate([centre - half, centre + half], axis=-1).astype(np.float32)
    heatmap = rng.integers(0, 256, (*kp.shape[:3], *size), dtype=np.uint8)
    return {**clip, "heatmap": heatmap, "heatmap_box": box}


def timed(fn, repeat: int) -> tuple[float, object]:
    """Best seconds per call over `repeat` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def measure(clips: list[dict], cfg: VolumeConfig, batch: int, device: torch.device,
            repeat: int) -> dict[str, float]:
    stored = cfg.source == "heatmaps"
    prepare = prepare_stored if stored else prepare_clip
    collate = collate_stored if stored else collate_coordinates
    draw = render_stored if stored else render
    chosen = clips[:batch]

    def prepare_all():
        return [prepare(c, cfg, test_mode=False, rng=np.random.default_rng(i))
                for i, c in enumerate(chosen)]

    t_prepare, items = timed(prepare_all, repeat)
    t_collate, tensors = timed(lambda: collate(items), repeat)
    first, second = (t.to(device) for t in tensors)
    out = torch.empty((batch, cfg.channels, cfg.clip_len, *cfg.size), device=device)

    def render_batch():
        volume = draw(first, second, cfg, out=out)
        if device.type == "cuda":
            torch.cuda.synchronize()
        return volume

    render_batch()  # warm-up
    t_render, _ = timed(render_batch, repeat)
    return {"prepare ms/clip": 1e3 * t_prepare / batch, "collate ms/batch": 1e3 * t_collate,
            "render ms/batch": 1e3 * t_render, "volumes/s": batch / t_render}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    scenes = generate(synth_config("gym", num_classes=2, clips_per_class=16), seed=0)
    clips = pose_source(scenes, "gt-2d")["annotations"]
    rng = np.random.default_rng(0)
    print(f"torch {torch.__version__}, {args.threads} thread(s), {device}; "
          f"{len(clips)} clips, mean {np.mean([c['total_frames'] for c in clips]):.0f} frames, "
          f"mean {np.mean([c['keypoint'].shape[0] for c in clips]):.1f} persons")
    print(f"{'volume':18} {'source':16} {'prepare ms/clip':>15} {'collate ms/batch':>16} "
          f"{'render ms/batch':>15} {'volumes/s':>9}")
    for name, (cfg, batch) in VOLUMES.items():
        rows = [("coordinates", clips, cfg)]
        for size in HEATMAPS:
            stored = [with_heatmaps(c, size, rng) for c in clips[:batch]]
            rows.append((f"heatmaps {size[0]}x{size[1]}", stored,
                         dataclasses.replace(cfg, source="heatmaps")))
        for source, data, row_cfg in rows:
            r = measure(data, row_cfg, batch, device, args.repeat)
            print(f"{name:18} {source:16} {r['prepare ms/clip']:15.2f} "
                  f"{r['collate ms/batch']:16.1f} {r['render ms/batch']:15.1f} "
                  f"{r['volumes/s']:9.1f}")


if __name__ == "__main__":
    main()
