"""Pseudo-heatmap volumes from joint coordinates (Sec. 3.2, Eq. 1 and Eq. 2), batched in torch.

Input: coordinates kp [N, M, T, V, 2] in output-pixel space and scores [N, M, T, V] (>= 0),
for N clips of M persons, T frames and V joints. Output: float32 volumes [N, C, T, H, W]
(C = V joints, L limbs, or both stacked) on the device of the input, written into `out` when one is given.
A training loop passes the same buffer every batch: memory touched for the first time costs
a page fault per 4 KiB, which on a CPU takes longer than rendering into it.
Pixel centres sit at integer coordinates, x along the width, as in pyskl.

Persons are summed into one canvas, as the paper says ("directly accumulate"); pyskl takes
their maximum instead, which `combine="max"` reproduces.

How exact:
- Joint gaussians are exact, not cut off at 3 sigma as pyskl's are. Only a row or column
  factor below 1e-15 is flushed to zero, far below float32 resolution next to any visible
  value. (x86 CPUs compute subnormal floats about a hundred times slower, and without the
  flush the far tails of every gaussian land there.)
- Limb values are exact down to LIMB_CUTOFF = 1e-6; a person's contribution below it is
  dropped. For a score of 1 that is every pixel farther than sigma * sqrt(2 ln 1e6) = 5.3
  sigma from the limb (3.2 px at sigma 0.6).

How fast: a joint map is the outer product of a row and a column factor (gaussians separate
in x and y), written straight into the output. A limb map is computed only near its limb:
the canvas is cut into tiles of up to 8x8 pixels and only the tiles that the limb's
contribution can reach above LIMB_CUTOFF are computed and added in; the rest of the map
stays zero. Maps are processed in blocks small enough for the CPU cache. Everything is
elementwise: matrix products would follow torch.set_float32_matmul_precision (TF32, bf16).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from posec3d.skeleton import JOINT_FLIP, LIMB_FLIP, LIMBS, MODALITY_PARTS

LIMB_CUTOFF = 1e-6  # limb contributions below this are dropped
_JOINT_TINY = 1e-15  # joint row and column factors below this are flushed to zero
_MAX_TILE = 8  # largest tile side, in pixels
_COMBINES = ("sum", "max")
# Map elements per block: cache-sized on CPU, large on accelerators (fewer launches).
_BLOCK_ELEMENTS = {"cpu": 1 << 19}
_DEFAULT_BLOCK_ELEMENTS = 1 << 26


def joint_heatmaps(
    kp: torch.Tensor,
    score: torch.Tensor,
    size: tuple[int, int],
    sigma: float = 0.6,
    combine: str = "sum",
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """Joint heatmap volumes [N, V, T, H, W] (Eq. 1): a gaussian per joint, weighted by score.

    `out`, if given, is a contiguous float32 tensor of that shape to write into (and return).
    """
    n, m, t, v = _check_inputs(kp, score, size, sigma, combine)
    h, w = size
    out = output_volume(out, (n, v, t, h, w), kp)
    if m == 0:
        return out.zero_()
    kp, score = _persons_first(kp, score)
    # Separable: c exp(-(px - x)^2 - (py - y)^2) = exp(log c - (py - y)^2) * exp(-(px - x)^2)
    # in _unit(sigma), a row factor times a column factor, each flushed below _JOINT_TINY.
    # Pixel minus joint first, in pixels, then into the unit: one rounding of the difference,
    # not of both coordinates (which would cost ~eps * W of a pixel).
    x, y = kp[..., 0].reshape(m, -1, 1), kp[..., 1].reshape(m, -1, 1)
    unit = _unit(sigma)
    cols = _exp_flushed_((_pixels(w, kp) - x).div_(unit).square_().neg_(), _JOINT_TINY)
    rows = (_pixels(h, kp) - y).div_(unit).square_().neg_().add_(torch.log(score).reshape(m, -1, 1))
    rows = _exp_flushed_(rows, _JOINT_TINY)  # rows [M, maps, H], cols [M, maps, W]
    maps = out.view(-1, h, w)
    for block in map_blocks(maps.shape[0], h * w, kp.device):
        dest = maps[block]
        torch.mul(rows[0, block, :, None], cols[0, block, None, :], out=dest)
        for person in range(1, m):
            row, col = rows[person, block, :, None], cols[person, block, None, :]
            if combine == "sum":
                dest.addcmul_(row, col)
            else:
                torch.maximum(dest, row * col, out=dest)
    return out


def limb_heatmaps(
    kp: torch.Tensor,
    score: torch.Tensor,
    size: tuple[int, int],
    sigma: float = 0.6,
    limbs: Sequence[tuple[int, int]] = LIMBS,
    combine: str = "sum",
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """Limb heatmap volumes [N, L, T, H, W] (Eq. 2): exp(-d^2 / (2 sigma^2)) * min(c_i, c_j).

    d is the distance from a pixel to the segment between joints i and j; a limb whose ends
    coincide is a point gaussian. pyskl draws limbs shorter than one pixel as a gaussian at
    the first joint, weighted by that joint's score alone; we keep Eq. 2 for every length.
    Contributions below LIMB_CUTOFF are dropped. `out` as in joint_heatmaps.
    """
    n, m, t, v = _check_inputs(kp, score, size, sigma, combine)
    if not limbs or any(not 0 <= j < v for limb in limbs for j in limb):
        raise ValueError(f"limbs must be pairs of joint indices in [0, {v}), got {limbs}")
    h, w = size
    out = output_volume(out, (n, len(limbs), t, h, w), kp)
    maps = out.view(-1, h, w)
    # One segment per (map, person), maps in output order, in _unit(sigma).
    kp = kp.float().permute(0, 3, 2, 1, 4) / _unit(sigma)  # [N, V, T, M, 2]
    score = score.float().permute(0, 3, 2, 1)
    first, second = [i for i, _ in limbs], [j for _, j in limbs]
    a, b = kp[:, first].reshape(-1, 2), kp[:, second].reshape(-1, 2)
    log_weight = torch.log(torch.minimum(score[:, first], score[:, second])).reshape(-1)
    centre, axis = (a + b) / 2, b - a
    length = torch.linalg.vector_norm(axis, dim=-1)
    # A zero-length limb gets an arbitrary axis: with length 0, d is the distance to the centre.
    unit = torch.where(length[:, None] > 0, axis / length[:, None], axis.new_tensor([1.0, 0.0]))
    ux, uy, half = unit[:, 0], unit[:, 1], (length / 2)[:, None]

    tiles = _Tiles(size, sigma, kp.device)
    # A contribution is at least LIMB_CUTOFF within `reach` of its segment, where
    # log_weight - reach^2 = log(LIMB_CUTOFF); a tile holds such pixels only if its centre
    # lies within reach + the tile's radius.
    reach2 = log_weight - math.log(LIMB_CUTOFF)
    limit = torch.where(reach2 >= 0, (reach2.clamp_min(0).sqrt() + tiles.radius) ** 2, -1.0)
    d2 = _squared_distances(_segment_frame(-centre[:, 0], -centre[:, 1], ux, uy), half,
                            tiles.centre_x, tiles.centre_y)
    entry, tile = (d2 <= limit[:, None]).nonzero(as_tuple=True)  # sorted by entry, so by map

    # Per needed tile: offset of its pixels in `out`, where it lies in the limb's frame.
    map_of = torch.div(entry, m, rounding_mode="floor")
    offset = map_of * (h * w) + tiles.offset[tile]
    frame = _segment_frame(tiles.origin_x[tile] - centre[entry, 0],
                           tiles.origin_y[tile] - centre[entry, 1], ux[entry], uy[entry])
    half, log_weight = half[entry], log_weight[entry, None]

    blocks = map_blocks(maps.shape[0], h * w, kp.device)
    starts = [block.start for block in blocks] + [maps.shape[0]]
    bounds = torch.searchsorted(map_of, torch.tensor(starts, device=kp.device)).tolist()
    flat = out.view(-1)
    for block, lo, hi in zip(blocks, bounds, bounds[1:]):
        maps[block].zero_()
        if lo == hi:
            continue
        part = slice(lo, hi)
        value = _squared_distances([f[:, part] for f in frame], half[part], tiles.pixel_x,
                                   tiles.pixel_y)
        value = _exp_flushed_(torch.sub(log_weight[part], value, out=value), LIMB_CUTOFF)
        index = (offset[part, None] + tiles.pixel_offset).view(-1)
        if combine == "sum":
            flat.scatter_add_(0, index, value.view(-1))
        else:
            flat.scatter_reduce_(0, index, value.view(-1), "amax")
    return out


def stacked_heatmaps(
    kp: torch.Tensor,
    score: torch.Tensor,
    size: tuple[int, int],
    sigma: float = 0.6,
    combine: str = "sum",
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """Joint and limb volumes stacked [N, V + L, T, H, W], joint maps first: one input of both
    modalities (PA3D's concatenation J (+) P). mmaction2's GeneratePoseTarget with with_kp and
    with_limb sizes its output so but draws each limb over a joint's map, leaving the limb
    channels empty; this stacks the two volumes. `out` as in joint_heatmaps.

    Each clip's joint and limb maps are contiguous blocks of `out`, rendered in place, one clip at
    a time: no temporary volumes.
    """
    n, _, t, v = _check_inputs(kp, score, size, sigma, combine)
    out = output_volume(out, (n, v + len(LIMBS), t, *size), kp)
    for i in range(n):
        joint_heatmaps(kp[i:i + 1], score[i:i + 1], size, sigma, combine, out=out[i:i + 1, :v])
        limb_heatmaps(kp[i:i + 1], score[i:i + 1], size, sigma, combine=combine, out=out[i:i + 1, v:])
    return out


def _stacked_flip(parts: tuple[str, ...]) -> tuple[int, ...]:
    """The channel permutation of a mirrored volume that stacks `parts` (MODALITY_PARTS)."""
    perm: list[int] = []
    for part in parts:
        perm += [len(perm) + i for i in {"joint": JOINT_FLIP, "limb": LIMB_FLIP}[part]]
    return tuple(perm)


_FLIPS = {modality: _stacked_flip(parts) for modality, parts in MODALITY_PARTS.items()}


def flip_volume(vol: torch.Tensor, modality: str) -> torch.Tensor:
    """Mirror volumes [N, C, T, H, W] left-right: reverse W and swap left/right channels.

    Equals rendering flipped coordinates (transforms.flip_coordinates); used for flip-test
    and for stored heatmaps.
    """
    if modality not in _FLIPS:
        raise ValueError(f"modality must be one of {sorted(_FLIPS)}, got {modality!r}")
    perm = _FLIPS[modality]
    if vol.ndim != 5 or vol.shape[1] != len(perm):
        raise ValueError(
            f"expected {modality} volumes [N, {len(perm)}, T, H, W], got {tuple(vol.shape)}"
        )
    return vol[:, list(perm)].flip(-1)


class _Tiles:
    """The canvas cut into equal tiles of up to _MAX_TILE pixels a side, in _unit(sigma).

    Tile sides divide the canvas sides, so that tiles never reach past the canvas.
    """

    def __init__(self, size: tuple[int, int], sigma: float, device: torch.device):
        h, w = size
        th, tw = _largest_divisor(h, _MAX_TILE), _largest_divisor(w, _MAX_TILE)
        unit = _unit(sigma)
        ty, tx = _mesh(h // th, w // tw, device)  # tile row and column, flattened
        py, px = _mesh(th, tw, device)  # pixel row and column inside a tile
        self.origin_x, self.origin_y = tx * tw / unit, ty * th / unit
        self.centre_x = self.origin_x + (tw - 1) / 2 / unit
        self.centre_y = self.origin_y + (th - 1) / 2 / unit
        self.radius = math.hypot(tw - 1, th - 1) / 2 / unit  # centre to farthest pixel
        self.offset = (ty * th * w + tx * tw).long()  # of its first pixel, in a map
        self.pixel_x, self.pixel_y = px / unit, py / unit
        self.pixel_offset = (py * w + px).long()


def _segment_frame(
    rel_x: torch.Tensor, rel_y: torch.Tensor, ux: torch.Tensor, uy: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Coordinates (along, across) of points rel + (gx, gy) in the frames of segments.

    Row r: a segment centred at the origin with unit direction (ux[r], uy[r]). Returns
    (start, per_x, per_y), each [2, R, 1], such that the point's coordinates in the segment's
    frame are start + per_x * gx + per_y * gy.
    """
    start = torch.stack([ux * rel_x + uy * rel_y, ux * rel_y - uy * rel_x])
    return start[..., None], torch.stack([ux, -uy])[..., None], torch.stack([uy, ux])[..., None]


def _squared_distances(
    frame: Sequence[torch.Tensor], half: torch.Tensor, grid_x: torch.Tensor, grid_y: torch.Tensor
) -> torch.Tensor:
    """[R, G] squared distances from points (grid_x[g], grid_y[g]) to segments.

    frame: _segment_frame of the segments; half [R, 1]: their half-lengths.
    d^2 = max(|along| - half, 0)^2 + across^2.
    """
    start, per_x, per_y = frame
    along, across = (per_x * grid_x).add_(start).addcmul_(per_y, grid_y)
    along.abs_().sub_(half).relu_()
    return along.mul_(along).addcmul_(across, across)


def _exp_flushed_(exponent: torch.Tensor, tiny: float) -> torch.Tensor:
    """exp(exponent) in place, with results below `tiny` set to zero."""
    # Clamping first keeps exp out of the subnormal range (slow on x86), then the tail that
    # the clamp lifted is flushed. log(0) = -inf (a zero score) ends as an exact zero.
    exponent.clamp_min_(math.log(tiny) - 1.0).exp_()
    return F.threshold_(exponent, tiny, 0.0)


def output_volume(
    out: torch.Tensor | None, shape: tuple[int, ...], like: torch.Tensor
) -> torch.Tensor:
    """`out` checked against the volume to render, or a new tensor for it on like's device."""
    if out is None:
        return torch.empty(shape, dtype=torch.float32, device=like.device)
    if (tuple(out.shape) != shape or out.dtype != torch.float32 or out.device != like.device
            or not out.is_contiguous()):
        raise ValueError(f"out must be a contiguous float32 tensor of shape {shape} on "
                         f"{like.device}, got {out.dtype} {tuple(out.shape)} on {out.device}"
                         f"{'' if out.is_contiguous() else ', not contiguous'}")
    return out


def map_blocks(num_maps: int, map_elements: int, device: torch.device) -> list[slice]:
    """Consecutive blocks of maps, each within the device's block budget."""
    step = max(1, _BLOCK_ELEMENTS.get(device.type, _DEFAULT_BLOCK_ELEMENTS) // map_elements)
    return [slice(start, min(start + step, num_maps)) for start in range(0, num_maps, step)]


def _largest_divisor(n: int, most: int) -> int:
    return max(d for d in range(1, min(n, most) + 1) if n % d == 0)


def _mesh(rows: int, cols: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Row and column indices of a rows x cols grid, flattened row by row, as float32."""
    r, c = torch.meshgrid(torch.arange(rows, device=device), torch.arange(cols, device=device),
                          indexing="ij")
    return r.reshape(-1).float(), c.reshape(-1).float()


def _persons_first(kp: torch.Tensor, score: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """[N, M, T, V, ...] -> float32 [M, N, V, T, ...]: persons first, maps in output order."""
    return kp.float().permute(1, 0, 3, 2, 4), score.float().permute(1, 0, 3, 2)


def _unit(sigma: float) -> float:
    """The length unit of the computations, sigma * sqrt(2): a gaussian is exp(-d^2) in it."""
    return sigma * math.sqrt(2.0)


def _pixels(n: int, like: torch.Tensor) -> torch.Tensor:
    """Pixel centres 0 .. n-1, float32, on like's device."""
    return torch.arange(n, dtype=torch.float32, device=like.device)


def _check_inputs(
    kp: torch.Tensor, score: torch.Tensor, size: tuple[int, int], sigma: float, combine: str
) -> tuple[int, int, int, int]:
    if kp.ndim != 5 or kp.shape[-1] != 2:
        raise ValueError(f"kp must be [N, M, T, V, 2], got {tuple(kp.shape)}")
    if tuple(score.shape) != tuple(kp.shape[:-1]):
        raise ValueError(f"score must be [N, M, T, V] = {tuple(kp.shape[:-1])}, "
                         f"got {tuple(score.shape)}")
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"size must be (H, W) with positive sides, got {size}")
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    if combine not in _COMBINES:
        raise ValueError(f"combine must be one of {_COMBINES}, got {combine!r}")
    n, m, t, v = kp.shape[:4]
    return n, m, t, v
