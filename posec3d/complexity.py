"""Parameters and multiply-adds of a model, counted the way the paper reports them (Table 4).

The paper leaves the FC classifier out of both figures (it depends on the number of classes),
and its MS-G3D parameter count (2.8M) leaves out the learnable adjacency masks.

MACs are PyTorch's FlopCounterMode FLOPs / 2: convolutions and matrix products, including
MS-G3D's graph aggregations (einsums), not BN, ReLU, pooling or additions. The paper's FLOPs match
mmcv's get_model_complexity_info instead, which counts convolution MACs plus bias, BN, ReLU and
pooling elements but no matrix products, so none of MS-G3D's aggregations. Emulating that
counter with forward hooks gives the paper's figures (FC left out):

    model, input                          FlopCounterMode   mmcv-style   paper
    pose-slowonly 17x48x56x56                 15.63 G        15.84 G     15.9 G  (Table 4)
    pose-slowonly base 16, 17x12x64x64         1.60 G         1.64 G      1.6 G  (Sec. 4.4.3)
    msg3d 2x300x17x3 (MS-G3D's NTU input)     20.43 G        16.65 G     16.7 G  (Table 4, NTU)
    msg3d 13x20x17x3 (Volleyball)              8.85 G         7.21 G      7.2 G  (Sec. 4.4.3)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

# Parameters with this name are learnable adjacency masks (MS-G3D's A_res).
ADJACENCY_MASK = "A_res"


@dataclass(frozen=True)
class Complexity:
    """params: paper-style (no FC, no adjacency masks); params_all: all but the FC; macs: one sample."""

    params: int
    params_all: int
    macs: int


def count(model: nn.Module, input_shape: tuple[int, ...]) -> Complexity:
    """Complexity of `model` on one sample of `input_shape` (no batch dimension), FC left out.

    The forward pass runs on a copy on the meta device, so nothing is computed and `model` is
    left untouched.
    """
    if not isinstance(getattr(model, "fc", None), nn.Linear):
        raise TypeError(f"{type(model).__name__} has no nn.Linear `fc` classifier to leave out")
    fc = {id(p) for p in model.fc.parameters()}
    named = [(name, p) for name, p in model.named_parameters() if id(p) not in fc]
    params_all = sum(p.numel() for _, p in named)
    masks = sum(p.numel() for name, p in named if name.rsplit(".", 1)[-1] == ADJACENCY_MASK)

    # deepcopy of `model` with the FC swapped for Identity, without copying the FC itself
    headless = copy.deepcopy(model, memo={id(model.fc): nn.Identity()}).to("meta").eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        headless(torch.empty((1, *input_shape), device="meta"))
    return Complexity(params=params_all - masks, params_all=params_all, macs=counter.get_total_flops() // 2)


def format_complexity(name: str, input_shape: tuple[int, ...], c: Complexity) -> str:
    """One line, e.g. 'pose-slowonly 17x48x56x56: 1.99M params, 15.63 GMACs (FC left out)'."""
    shape = "x".join(map(str, input_shape))
    params = f"{c.params / 1e6:.2f}M params"
    if c.params_all != c.params:
        params += f" ({c.params_all / 1e6:.2f}M with adjacency masks)"
    return f"{name} {shape}: {params}, {c.macs / 1e9:.2f} GMACs (FC left out)"
