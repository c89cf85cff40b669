"""MS-G3D (Liu et al., CVPR 2020), the GCN that PoseC3D compares against, on the COCO-17 graph.

A port of the original kenziyuliu/MS-G3D model (msg3d.py, ms_gcn.py, ms_gtcn.py, ms_tcn.py) with
pyskl's settings for COCO keypoints (num_gcn_scales=13, num_g3d_scales=6, widths 96/192/384):
three stages, each the sum of a factorised pathway (disentangled multi-scale GCN, then two
multi-scale TCNs) and a unified G3D pathway (multi-scale graph convolution over 3- and 5-frame
spatial-temporal windows), followed by one more multi-scale TCN.

Differences from the original, none of which changes the parameter or MAC count:
- input [N, M, T, V, C] (pyskl's layout) instead of [N, C, T, V, M];
- the first stage widens to 96 channels inside its graph convolutions whatever C is (the original
  checks `in_channels == 3`);
- MS-TCN branch widths need not divide the width (pyskl gives the remainder to the 1x1 branch);
- head dropout before the FC (default 0, i.e. none, as in the original);
- initial weights drawn from a seeded generator, with PyTorch's default schemes as the original.

The learnable residual masks on every adjacency are parameters named `A_res` (as in the
original), so complexity counts can leave them out: 2.76M parameters without them (the paper's
2.8M), 2.95M with them, FC left out. For MACs against the paper's figures see posec3d.complexity.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from posec3d.models import register_model
from posec3d.models.graph import adjacency, multiscale_adjacency, window_graph
from posec3d.skeleton import NUM_JOINTS

# Frames per G3D window, one G3D pathway each (MS-G3D's window_sizes, all with dilation 1).
G3D_WINDOWS = (3, 5)


def _conv_bn(
    in_channels: int, out_channels: int, kernel: int = 1, stride: int = 1, dilation: int = 1
) -> nn.Sequential:
    """Temporal conv (kernel x 1 over T x V, 'same' padding) + BN: MS-G3D's TemporalConv."""
    pad = dilation * (kernel - 1) // 2
    conv = nn.Conv2d(
        in_channels, out_channels, (kernel, 1), stride=(stride, 1), padding=(pad, 0), dilation=(dilation, 1)
    )
    return nn.Sequential(conv, nn.BatchNorm2d(out_channels))


class MultiScaleTCN(nn.Module):
    """Multi-scale temporal convolution: 4 dilated 3x1 branches, a max-pool and a 1x1 branch."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        dilations: tuple[int, ...] = (1, 2, 3, 4),
        activate: bool = True,
    ) -> None:
        super().__init__()
        num_branches = len(dilations) + 2
        width = out_channels // num_branches
        self.branches = nn.ModuleList(
            nn.Sequential(
                _conv_bn(in_channels, width),
                nn.ReLU(inplace=True),
                _conv_bn(width, width, 3, stride, dilation),
            )
            for dilation in dilations
        )
        self.branches.append(
            nn.Sequential(
                _conv_bn(in_channels, width),
                nn.ReLU(inplace=True),
                nn.MaxPool2d((3, 1), stride=(stride, 1), padding=(1, 0)),
                nn.BatchNorm2d(width),
            )
        )
        self.branches.append(_conv_bn(in_channels, out_channels - width * (num_branches - 1), stride=stride))
        same_shape = in_channels == out_channels and stride == 1
        self.residual = nn.Identity() if same_shape else _conv_bn(in_channels, out_channels, stride=stride)
        self.activate = activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.cat([branch(x) for branch in self.branches], dim=1) + self.residual(x)
        return F.relu(out) if self.activate else out


class MultiScaleGCN(nn.Module):
    """Disentangled multi-scale graph convolution over K adjacencies, then 1x1 conv + BN + ReLU.

    `graph` is a 0/1 adjacency [V, V]; the K normalised k-hop adjacencies are a buffer and
    `A_res` their learnable residual mask.
    """

    def __init__(self, in_channels: int, out_channels: int, graph: np.ndarray, num_scales: int) -> None:
        super().__init__()
        self.register_buffer("A", torch.tensor(multiscale_adjacency(graph, num_scales), dtype=torch.float32))
        self.A_res = nn.Parameter(torch.zeros_like(self.A))
        self.mlp = nn.Sequential(
            nn.Conv2d(in_channels * num_scales, out_channels, 1),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, t, v = x.shape
        support = torch.einsum("kvu,nctu->nkctv", self.A + self.A_res, x)
        return self.mlp(support.reshape(n, -1, t, v))


class G3D(nn.Module):
    """Unified spatial-temporal graph convolution over sliding windows of `window_size` frames.

    Unfolds T into windows (stride `stride`), runs a multi-scale GCN on the window graph of
    w*V nodes, then collapses the window with a (1, w, 1) conv + BN (no activation).
    """

    def __init__(
        self, in_channels: int, out_channels: int, graph: np.ndarray, num_scales: int, window_size: int,
        stride: int, widen_early: bool,
    ) -> None:
        super().__init__()
        self.window_size = window_size
        self.stride = stride
        embed = out_channels if widen_early else in_channels
        self.gcn = MultiScaleGCN(in_channels, embed, window_graph(graph, window_size), num_scales)
        self.out_conv = nn.Conv3d(embed, out_channels, kernel_size=(1, window_size, 1))
        self.out_bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, _, v = x.shape
        pad = (self.window_size - 1) // 2
        windows = F.pad(x, (0, 0, pad, pad)).unfold(2, self.window_size, self.stride)  # N, C, T', V, w
        windows = windows.permute(0, 1, 2, 4, 3).reshape(n, c, -1, self.window_size * v)
        out = self.gcn(windows).reshape(n, -1, windows.shape[2], self.window_size, v)
        return self.out_bn(self.out_conv(out).squeeze(3))


class MSG3DStage(nn.Module):
    """One of MS-G3D's r=3 blocks: ReLU(factorised pathway + G3D windows 3 and 5), then an MS-TCN.

    The first stage (`widen_early`) widens to `out_channels` inside its graph convolutions, as
    its input has only a few channels; later stages widen in their temporal convolutions.
    """

    def __init__(
        self, in_channels: int, out_channels: int, graph: np.ndarray, gcn_scales: int, g3d_scales: int,
        stride: int, widen_early: bool,
    ) -> None:
        super().__init__()
        mid = out_channels if widen_early else in_channels
        self.g3d = nn.ModuleList(
            G3D(in_channels, out_channels, graph, g3d_scales, w, stride, widen_early) for w in G3D_WINDOWS
        )
        self.factorized = nn.Sequential(
            MultiScaleGCN(in_channels, mid, graph, gcn_scales),
            MultiScaleTCN(mid, out_channels, stride=stride),
            MultiScaleTCN(out_channels, out_channels, activate=False),
        )
        self.tcn = MultiScaleTCN(out_channels, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.factorized(x)
        for g3d in self.g3d:
            out = out + g3d(x)
        return self.tcn(F.relu(out))


@register_model("msg3d")
class MSG3D(nn.Module):
    """MS-G3D on skeleton coordinates [N, M, T, V, C] (C = x, y, score in 2D; x, y, z in 3D).

    Persons are folded into the batch and their pooled features averaged before the classifier;
    data BN normalises each (person, joint, channel) over time, so `num_person` is fixed.
    """

    input_kind = "coordinates"
    default_input_shape: tuple[int, ...] = (2, 100, NUM_JOINTS, 3)

    def __init__(
        self,
        num_classes: int,
        in_channels: int = 3,
        num_person: int = 2,
        base_channels: int = 96,
        num_gcn_scales: int = 13,
        num_g3d_scales: int = 6,
        dropout: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        graph = adjacency()
        self.num_person, self.num_joints, self.in_channels = num_person, len(graph), in_channels
        self.data_bn = nn.BatchNorm1d(num_person * self.num_joints * in_channels)
        widths = (in_channels, base_channels, base_channels * 2, base_channels * 4)
        self.stages = nn.Sequential(
            *(
                MSG3DStage(
                    widths[i], widths[i + 1], graph, num_gcn_scales, num_g3d_scales,
                    stride=1 if i == 0 else 2, widen_early=i == 0,
                )
                for i in range(3)
            )
        )
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(widths[-1], num_classes)
        self.reset_parameters(torch.Generator().manual_seed(seed))

    def reset_parameters(self, generator: torch.Generator) -> None:
        """PyTorch's default init (as the original, which sets none), drawn from `generator`.

        Convs and the FC: Kaiming-uniform with a=sqrt(5) and uniform biases in +-1/sqrt(fan_in);
        BN 1/0; adjacency masks A_res uniform in +-1e-6, as MS-G3D initialises them.
        """
        for name, p in self.named_parameters():
            if name.endswith("A_res"):
                nn.init.uniform_(p, -1e-6, 1e-6, generator=generator)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Conv3d, nn.Linear)):
                nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
                bound = 1 / math.sqrt(m.weight[0].numel())
                nn.init.uniform_(m.bias, -bound, bound, generator=generator)
            elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits [N, num_classes] for skeletons [N, M, T, V, C]."""
        expected = (self.num_person, self.num_joints, self.in_channels)
        if x.ndim != 5 or (x.shape[1], x.shape[3], x.shape[4]) != expected:
            m, v, c = expected
            raise ValueError(f"msg3d expects skeletons [N, {m}, T, {v}, {c}], got shape {tuple(x.shape)}")
        n, m, t, v, c = x.shape
        x = self.data_bn(x.permute(0, 1, 3, 4, 2).reshape(n, m * v * c, t))
        x = x.reshape(n * m, v, c, t).permute(0, 2, 3, 1)  # N*M, C, T, V
        x = self.stages(x)
        features = x.mean(dim=(2, 3)).reshape(n, m, -1).mean(dim=1)
        return self.fc(self.dropout(features))
