"""Pseudo-heatmap volumes from joint coordinates (Sec. 3.2, Eq. 1 and Eq. 2), batched in torch.

Input: coordinates kp [N, M, T, V, 2] in output-pixel space and scores [N, M, T, V] (>= 0),
for N clips of M persons, T frames and V joints. Output: float32 volumes [N, C, T, H, W]
(C = V joints or L limbs) on the device of the input. Pixel centres sit at integer
coordinates, x along the width, as in pyskl.

Gaussians are exact, not cut off at 3 sigma as pyskl's are. The one approximation: a
contribution below 1e-15 (joints) or 1e-30 (limbs) is flushed to zero, far below float32
resolution next to any visible value. x86 CPUs compute subnormal floats about a hundred
times slower, and without the flush the far tails of every gaussian land there.

Persons are summed into one canvas, as the paper says ("directly accumulate"); pyskl takes
their maximum instead, which `combine="max"` reproduces.

Speed: joint maps are outer products of a row and a column factor (gaussians separate in x
and y); limb maps are built from per-map row and column vectors with a few elementwise passes.
The maps are computed in blocks small enough for the CPU cache, and persons are added block by
block, so memory stays at one output plus one block whatever M is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from posec3d.skeleton import JOINT_FLIP, LIMB_FLIP, LIMBS

_TINY = 1e-30  # smallest contribution kept; smaller ones are flushed to zero
_COMBINES = ("sum", "max")
# Elements per intermediate block: cache-sized on CPU, large on accelerators (fewer launches).
_BLOCK_ELEMENTS = {"cpu": 1 << 18}
_DEFAULT_BLOCK_ELEMENTS = 1 << 26

# paint(person, block, dest): write one person's maps for a block of maps into dest.
_Painter = Callable[[int, slice, torch.Tensor], None]


def joint_heatmaps(
    kp: torch.Tensor,
    score: torch.Tensor,
    size: tuple[int, int],
    sigma: float = 0.6,
    combine: str = "sum",
) -> torch.Tensor:
    """Joint heatmap volumes [N, V, T, H, W] (Eq. 1): a gaussian per joint, weighted by score."""
    n, m, t, v = _check_inputs(kp, score, size, sigma, combine)
    h, w = size
    kp, score = _persons_first(kp, score, sigma)
    # Separable: c exp(-(px - x)^2 - (py - y)^2) = exp(log c - (py - y)^2) * exp(-(px - x)^2),
    # a row factor times a column factor. Each is flushed below sqrt(TINY), so that a product
    # is either zero or at least TINY.
    maps = n * v * t
    x, y = kp[..., 0].reshape(m, maps, 1), kp[..., 1].reshape(m, maps, 1)
    cols = _exp_flushed_((_grid(w, sigma, kp) - x).square_().neg_(), math.sqrt(_TINY))
    rows = (_grid(h, sigma, kp) - y).square_().neg_().add_(torch.log(score).reshape(m, maps, 1))
    rows = _exp_flushed_(rows, math.sqrt(_TINY))

    def paint(person: int, block: slice, dest: torch.Tensor) -> None:
        torch.mul(rows[person, block, :, None], cols[person, block, None, :], out=dest)

    return _render_maps(paint, m, maps, size, combine, kp).view(n, v, t, h, w)


def limb_heatmaps(
    kp: torch.Tensor,
    score: torch.Tensor,
    size: tuple[int, int],
    sigma: float = 0.6,
    limbs: Sequence[tuple[int, int]] = LIMBS,
    combine: str = "sum",
) -> torch.Tensor:
    """Limb heatmap volumes [N, L, T, H, W] (Eq. 2): exp(-d^2 / (2 sigma^2)) * min(c_i, c_j).

    d is the distance from a pixel to the segment between joints i and j; a limb whose ends
    coincide is a point gaussian. pyskl draws limbs shorter than one pixel as a gaussian at
    the first joint, weighted by that joint's score alone; we keep Eq. 2 for every length.
    """
    n, m, t, v = _check_inputs(kp, score, size, sigma, combine)
    if not limbs or any(not 0 <= j < v for limb in limbs for j in limb):
        raise ValueError(f"limbs must be pairs of joint indices in [0, {v}), got {limbs}")
    h, w = size
    num_limbs = len(limbs)
    maps = n * num_limbs * t
    kp, score = _persons_first(kp, score, sigma)
    first, second = [i for i, _ in limbs], [j for _, j in limbs]
    a, b = kp[:, :, first], kp[:, :, second]  # [M, N, L, T, 2]
    log_weight = torch.log(torch.minimum(score[:, :, first], score[:, :, second]))
    # A pixel's coordinates in the limb's frame: `along` the limb from its midpoint, `across`
    # it. Then d^2 = max(|along| - length / 2, 0)^2 + across^2, and `along` and `across` are
    # each a per-column term plus a per-row term.
    centre, axis = ((a + b) / 2).reshape(m, maps, 2), (b - a).reshape(m, maps, 2)
    length = torch.linalg.vector_norm(axis, dim=-1, keepdim=True)  # [M, maps, 1]
    # A zero-length limb gets an arbitrary axis: with length 0, d^2 = along^2 + across^2 anyway.
    unit = torch.where(length > 0, axis / length, axis.new_tensor([1.0, 0.0]))
    ux, uy = unit[..., :1], unit[..., 1:]
    dx = _grid(w, sigma, kp) - centre[..., :1]  # [M, maps, W]
    dy = _grid(h, sigma, kp) - centre[..., 1:]  # [M, maps, H]
    along_col, along_row = dx * ux, dy * uy
    across_col, across_row = dx.mul_(-uy), dy.mul_(ux)
    half_length = (length / 2)[..., None]  # [M, maps, 1, 1]
    log_weight = log_weight.reshape(m, maps, 1, 1)

    def paint(person: int, block: slice, dest: torch.Tensor) -> None:
        # dest = log(min score) - d^2, then exp.
        past_end = torch.add(along_row[person, block, :, None], along_col[person, block, None, :])
        past_end.abs_().sub_(half_length[person, block]).relu_()
        torch.addcmul(log_weight[person, block], past_end, past_end, value=-1, out=dest)
        across = torch.add(across_row[person, block, :, None], across_col[person, block, None, :],
                           out=past_end)
        dest.addcmul_(across, across, value=-1)
        _exp_flushed_(dest, _TINY)

    return _render_maps(paint, m, maps, size, combine, kp).view(n, num_limbs, t, h, w)


def flip_volume(vol: torch.Tensor, modality: str) -> torch.Tensor:
    """Mirror volumes [N, C, T, H, W] left-right: reverse W and swap left/right channels.

    Equals rendering flipped coordinates (transforms.flip_coordinates); used for flip-test
    and for stored heatmaps.
    """
    perms = {"joint": JOINT_FLIP, "limb": LIMB_FLIP}
    if modality not in perms:
        raise ValueError(f"modality must be 'joint' or 'limb', got {modality!r}")
    perm = perms[modality]
    if vol.ndim != 5 or vol.shape[1] != len(perm):
        raise ValueError(
            f"expected {modality} volumes [N, {len(perm)}, T, H, W], got {tuple(vol.shape)}"
        )
    return vol[:, list(perm)].flip(-1)


def _render_maps(
    paint: _Painter,
    num_persons: int,
    num_maps: int,
    size: tuple[int, int],
    combine: str,
    like: torch.Tensor,
) -> torch.Tensor:
    """Maps [num_maps, H, W]: every person painted block by block and combined."""
    h, w = size
    out = torch.empty((num_maps, h, w), dtype=torch.float32, device=like.device)
    if num_persons == 0:
        return out.zero_()
    budget = _BLOCK_ELEMENTS.get(like.device.type, _DEFAULT_BLOCK_ELEMENTS)
    step = max(1, budget // (h * w))
    scratch = out.new_empty((min(step, num_maps), h, w)) if num_persons > 1 else None
    for start in range(0, num_maps, step):
        block = slice(start, min(start + step, num_maps))
        target = out[block]
        paint(0, block, target)
        for person in range(1, num_persons):
            other = scratch[: target.shape[0]]
            paint(person, block, other)
            if combine == "sum":
                target.add_(other)
            else:
                torch.maximum(target, other, out=target)
    return out


def _exp_flushed_(exponent: torch.Tensor, tiny: float) -> torch.Tensor:
    """exp(exponent) in place, with results below `tiny` set to zero."""
    # Clamping first keeps exp out of the subnormal range (slow on x86), then the tail that
    # the clamp lifted is flushed. log(0) = -inf (a zero score) ends as an exact zero.
    exponent.clamp_min_(math.log(tiny) - 1.0).exp_()
    return F.threshold_(exponent, tiny, 0.0)


def _persons_first(
    kp: torch.Tensor, score: torch.Tensor, sigma: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """[N, M, T, V, ...] -> float32 [M, N, V, T, ...]: persons first, maps in output order.

    Coordinates are measured in units of sigma * sqrt(2), where a gaussian is exp(-d^2).
    """
    kp = kp.float().permute(1, 0, 3, 2, 4) / (sigma * math.sqrt(2.0))
    return kp, score.float().permute(1, 0, 3, 2)


def _grid(n: int, sigma: float, like: torch.Tensor) -> torch.Tensor:
    """Pixel centres 0 .. n-1 in the units of _persons_first."""
    return torch.arange(n, dtype=torch.float32, device=like.device) / (sigma * math.sqrt(2.0))


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
