"""Volumes from heatmaps stored by the pose estimator (Sec. 3.2; Table 3d's "Heatmap" rows).

The paper: "we can directly use the heatmap produced by the TopDown pose estimator as the
target heatmap, zero-padded to match the size of the frame, since the corresponding bounding
box is given". Such a clip carries, beside its coordinates (posec3d extract --heatmaps):

    heatmap      uint8 [M, T, V, h, w]   the estimator's heatmaps * 255
    heatmap_box  float32 [M, T, 4]       x1, y1, x2, y2: the frame region they cover

Heatmap pixel (row i, column j) is the frame point (x1 + j (x2 - x1) / w, y1 + i (y2 - y1) / h),
mmpose's own decoding map (heatmap -> input crop -> frame), so a heatmap's peak lies where the
extracted keypoint is.

The steps are the coordinate path's (volumes.pipeline): frame sampling, the subject-centred
crop box from the keypoints, random resized crop and flip (drawn from the rng in the same
order, so a seed gives the same views), resize to cfg.size. Only the last step differs:
instead of moving coordinates and drawing Eq. 1, each stored heatmap is warped onto the canvas
by the map canvas -> frame -> heatmap (axis-aligned: a scale and a shift per axis), sampled
bilinearly with zeros outside it (the zero padding), and persons are summed (or max, as
cfg.combine says). A flip mirrors the map and swaps left and right joint channels.

    prepare_stored (DataLoader worker, numpy)  ->  collate_stored  ->  render_stored (device)

Heatmaps stay uint8 up to the device, 4x less to move than float. Person-frames without a box
(zero or degenerate) or whose joint scores are all zero are zeroed in prepare_stored, so they
render nothing; so do the persons collate_stored pads with.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from posec3d.skeleton import JOINT_FLIP, NUM_JOINTS
from posec3d.volumes.heatmaps import map_blocks, output_volume
from posec3d.volumes.pipeline import (
    VolumeConfig,
    augment_box,
    checked_arrays,
    crop_box,
    frame_indices,
)
from posec3d.volumes.transforms import Box


def prepare_stored(
    clip: dict[str, Any],
    cfg: VolumeConfig,
    *,
    test_mode: bool,
    rng: np.random.Generator | None,
) -> tuple[np.ndarray, np.ndarray]:
    """One clip's stored heatmaps, sampled and with their warps onto the canvas.

    Returns uint8 heatmaps [num_clips, M, clip_len, V, h, w] (channels already swapped where
    a clip is flipped) and float32 warps [num_clips, M, clip_len, 4] = (ax, bx, ay, by): canvas
    pixel (row r, column c) samples the heatmap at grid_sample's normalised coordinates
    (ax c + bx, ay r + by) (align_corners=False). Training needs an rng; test mode none.
    """
    if cfg.source != "heatmaps":
        raise ValueError(f"prepare_stored needs cfg.source 'heatmaps', got {cfg.source!r}")
    name = clip.get("frame_dir", "<unnamed clip>")
    keypoint, score, img_shape = checked_arrays(clip, name)
    heatmap, heatmap_box = _checked_heatmaps(clip, keypoint.shape[:2], name)
    if not test_mode and rng is None:
        raise ValueError(f"clip {name!r}: training needs an rng (numpy Generator)")
    box = crop_box(keypoint, img_shape, cfg)
    live = _live(heatmap_box, score)
    persons = np.arange(heatmap.shape[0])[:, None, None]
    maps, warps = [], []
    for inds in frame_indices(keypoint.shape[1], cfg, test_mode, rng):
        view, flip = augment_box(box, cfg, test_mode=test_mode, rng=rng)
        joints = np.asarray(JOINT_FLIP if flip else range(NUM_JOINTS))
        sampled = heatmap[persons, inds[None, :, None], joints[None, None, :]]  # one copy
        sampled[~live[:, inds]] = 0
        maps.append(sampled)
        warps.append(canvas_warp(heatmap_box[:, inds], heatmap.shape[-2:], view, cfg.size, flip))
    return np.stack(maps), np.stack(warps)


def canvas_warp(
    heatmap_box: np.ndarray, heatmap_size: tuple[int, int], view: Box, size: tuple[int, int],
    flip: bool,
) -> np.ndarray:
    """Warps [..., 4] = (ax, bx, ay, by) taking canvas pixels to normalised heatmap coordinates.

    The canvas of `size` (H, W) shows the frame region `view` (box_to_canvas), mirrored if
    `flip`; a heatmap of `heatmap_size` (h, w) covers `heatmap_box` [..., 4] (module
    docstring). Canvas column c is frame x = view.x0 + c' view.width / W with c' = c, or
    W - 1 - c when mirrored (transforms.flip_coordinates); frame x is heatmap column
    j = (x - x1) w / (x2 - x1); grid_sample reads column j at (2 j + 1) / w - 1. Rows alike,
    never mirrored. Degenerate boxes get zero warps (their heatmaps are zeroed).
    """
    h, w = heatmap_size
    rows, cols = size
    hb = heatmap_box.astype(np.float64)
    span_x, span_y = hb[..., 2] - hb[..., 0], hb[..., 3] - hb[..., 1]
    ok = (span_x > 0) & (span_y > 0)
    span_x, span_y = np.where(ok, span_x, 1.0), np.where(ok, span_y, 1.0)
    step_x, step_y = view.width / cols, view.height / rows  # frame pixels per canvas pixel
    origin_x = view.x0 + (cols - 1) * step_x if flip else view.x0
    ax = np.broadcast_to((-step_x if flip else step_x) * 2 / span_x, ok.shape)
    bx = 2 * (origin_x - hb[..., 0]) / span_x + 1 / w - 1
    ay = np.broadcast_to(step_y * 2 / span_y, ok.shape)
    by = 2 * (view.y0 - hb[..., 1]) / span_y + 1 / h - 1
    warp = np.stack([ax, bx, ay, by], axis=-1)
    return np.where(ok[..., None], warp, 0.0).astype(np.float32)


def collate_stored(
    items: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack prepare_stored outputs: heatmaps [N, num_clips, M, T, V, h, w], warps [..., 4].

    Clips with fewer persons are padded with zero heatmaps, which render nothing.
    """
    if not items:
        raise ValueError("cannot collate an empty batch")
    shapes = {(hm.shape[0], *hm.shape[2:]) for hm, _ in items}
    if len(shapes) != 1:
        raise ValueError(f"clips differ in (num_clips, T, V, h, w): {sorted(shapes)}")
    first = items[0][0]
    num_persons = max(hm.shape[1] for hm, _ in items)
    maps = np.zeros((len(items), first.shape[0], num_persons, *first.shape[2:]), dtype=np.uint8)
    warps = np.zeros((*maps.shape[:4], 4), dtype=np.float32)
    for i, (hm, warp) in enumerate(items):
        maps[i, :, : hm.shape[1]] = hm
        warps[i, :, : warp.shape[1]] = warp
    return torch.from_numpy(maps), torch.from_numpy(warps)


def render_stored(
    heatmap: torch.Tensor, warp: torch.Tensor, cfg: VolumeConfig, out: torch.Tensor | None = None
) -> torch.Tensor:
    """Volumes [N * num_clips, V, T, H, W] from collated stored heatmaps, on their device.

    Values are the stored ones scaled back to [0, 1]; persons are combined by cfg.combine.
    `out` as in volumes.pipeline.render.
    """
    if heatmap.ndim != 7 or heatmap.dtype != torch.uint8:
        raise ValueError(f"heatmap must be uint8 [N, num_clips, M, T, V, h, w], got "
                         f"{heatmap.dtype} {tuple(heatmap.shape)}")
    if tuple(warp.shape) != (*heatmap.shape[:4], 4):
        raise ValueError(f"warp must be {(*heatmap.shape[:4], 4)}, got {tuple(warp.shape)}")
    heatmap, warp = heatmap.flatten(0, 1), warp.flatten(0, 1).float()
    n, m, t, v, h, w = heatmap.shape
    rows, cols = cfg.size
    out = output_volume(out, (n, v, t, rows, cols), heatmap)
    if m == 0:
        return out.zero_()
    col = torch.arange(cols, dtype=torch.float32, device=heatmap.device)
    row = torch.arange(rows, dtype=torch.float32, device=heatmap.device)
    for block in map_blocks(n, t * v * rows * cols, heatmap.device):
        dest = out[block]
        for person in range(m):
            src = heatmap[block, person].reshape(-1, v, h, w).float().mul_(1 / 255)
            ax, bx, ay, by = warp[block, person].reshape(-1, 4).unbind(-1)
            gx = torch.addcmul(bx[:, None], ax[:, None], col)  # [frames, W]
            gy = torch.addcmul(by[:, None], ay[:, None], row)  # [frames, H]
            grid = torch.stack(torch.broadcast_tensors(gx[:, None, :], gy[:, :, None]), dim=-1)
            sampled = F.grid_sample(src, grid, mode="bilinear", padding_mode="zeros",
                                    align_corners=False)  # [frames, V, H, W]
            sampled = sampled.view(-1, t, v, rows, cols).transpose(1, 2)
            if person == 0:
                dest.copy_(sampled)
            elif cfg.combine == "sum":
                dest.add_(sampled)
            else:
                torch.maximum(dest, sampled, out=dest)
    return out


def _checked_heatmaps(
    clip: dict[str, Any], persons_frames: tuple[int, int], name: str
) -> tuple[np.ndarray, np.ndarray]:
    """heatmap uint8 [M, T, V, h, w] and heatmap_box float32 [M, T, 4], checked."""
    missing = [key for key in ("heatmap", "heatmap_box") if key not in clip]
    if missing:
        raise ValueError(f"clip {name!r}: input source 'heatmaps' needs the clip's stored "
                         f"heatmaps (pose files from `posec3d extract --heatmaps`); missing "
                         f"{missing}")
    heatmap = np.asarray(clip["heatmap"])
    if (heatmap.dtype != np.uint8 or heatmap.ndim != 5
            or heatmap.shape[:3] != (*persons_frames, NUM_JOINTS) or min(heatmap.shape[3:]) < 1):
        raise ValueError(f"clip {name!r}: heatmap must be uint8 [M, T, {NUM_JOINTS}, h, w] with "
                         f"(M, T) = {persons_frames} as in keypoint, got {heatmap.dtype} "
                         f"{heatmap.shape}")
    heatmap_box = np.asarray(clip["heatmap_box"], dtype=np.float32)
    if heatmap_box.shape != (*persons_frames, 4):
        raise ValueError(f"clip {name!r}: heatmap_box must be [M, T, 4] = "
                         f"{(*persons_frames, 4)}, got {heatmap_box.shape}")
    if not np.all(np.isfinite(heatmap_box)):
        raise ValueError(f"clip {name!r}: heatmap_box must be finite")
    return heatmap, heatmap_box


def _live(heatmap_box: np.ndarray, score: np.ndarray) -> np.ndarray:
    """[M, T] person-frames that render: a box of positive area and some joint found."""
    x1, y1, x2, y2 = np.moveaxis(heatmap_box, -1, 0)
    return (x2 > x1) & (y2 > y1) & (score.max(axis=-1) > 0)
