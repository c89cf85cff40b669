"""Pose-SlowOnly: the 3D-CNN of PoseC3D on heatmap volumes (Table 2, Pose pathway; Table 4).

A SlowOnly ResNet3d-50 with no stem downsampling, no res2 and half the channel width: mmaction2 /
pyskl's "ResNet3dSlowOnly" with in_channels=17, base_channels=32, stage_blocks=(4, 6, 3),
inflate=(0, 1, 1), spatial_strides=(2, 2, 2), temporal_strides=(1, 1, 2).

Temporal stride 2 in res5. Table 2 lists no temporal downsampling (res5 output 32x7^2 for 32
frames), but Table 2 is the Pose pathway of RGBPose-SlowFast, and pyskl's RGBPose config indeed
uses (1, 1, 1) there. The stand-alone Pose-SlowOnly of Table 4 and of the official configs uses
(1, 1, 2), and only that reproduces Table 4's figures: at 17x48x56x56 it counts 1.99M parameters
and 15.63 GMACs (FC left out; the paper: 2.0M, 15.9G), against 17.00 GMACs with (1, 1, 1).
`temporal_strides=(1, 1, 1)` gives Table 2's pathway.

No max-pool after the stem, as in Table 2 ("no downsampling operations in the stem layer");
mmaction2/pyskl apply a 1x3x3 max-pool with stride 1 there, which `stem_pool=True` restores
(it changes neither parameters nor MACs).

Volleyball (Section 4.4.3: "16 as the base channel width", 17x12x56x56, 0.52M, 1.6 GFLOPs) is
`base_channels=16`: 0.51M parameters and 1.23 GMACs at 17x12x56x56, 1.60 GMACs at 17x12x64x64,
the test-time crop of the official pipelines ("1-clip testing"), which is likely what the paper
counted. Keeping the stem at 32 channels gives 0.52M but 1.75 GMACs at 56x56; dropping the
temporal stride gives 1.31 GMACs.
"""

from __future__ import annotations

import torch
from torch import nn

from posec3d.models import register_model
from posec3d.skeleton import NUM_JOINTS


def _conv_bn(
    in_channels: int,
    out_channels: int,
    kernel: tuple[int, int, int],
    stride: tuple[int, int, int] = (1, 1, 1),
    relu: bool = True,
) -> nn.Sequential:
    """Conv3d (no bias, 'same' padding) + BN3d (+ ReLU): mmcv's ConvModule."""
    padding = tuple(k // 2 for k in kernel)
    layers: list[nn.Module] = [
        nn.Conv3d(in_channels, out_channels, kernel, stride=stride, padding=padding, bias=False),
        nn.BatchNorm3d(out_channels),
    ]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class Bottleneck3d(nn.Module):
    """ResNet bottleneck, '3x1x1' inflation style: the temporal kernel sits in conv1 only.

    The (temporal, spatial) stride is on the 1x3x3 conv2 ('pytorch' style), as in mmaction2.
    """

    expansion = 4

    def __init__(
        self,
        in_channels: int,
        planes: int,
        temporal_stride: int = 1,
        spatial_stride: int = 1,
        inflate: bool = False,
    ) -> None:
        super().__init__()
        out_channels = planes * self.expansion
        stride = (temporal_stride, spatial_stride, spatial_stride)
        self.conv1, self.conv2 = self._convs(in_channels, planes, stride, inflate)
        self.conv3 = _conv_bn(planes, out_channels, (1, 1, 1), relu=False)
        self.downsample = (
            _conv_bn(in_channels, out_channels, (1, 1, 1), stride=stride, relu=False)
            if in_channels != out_channels or stride != (1, 1, 1)
            else None
        )
        self.relu = nn.ReLU(inplace=True)

    def _convs(self, in_channels: int, planes: int, stride: tuple[int, int, int],
               inflate: bool) -> tuple[nn.Module, nn.Module]:
        """conv1 (3x1x1 where inflated, else 1x1x1) and the strided 1x3x3 conv2."""
        return (_conv_bn(in_channels, planes, (3, 1, 1) if inflate else (1, 1, 1)),
                _conv_bn(planes, planes, (1, 3, 3), stride=stride))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.conv3(self.conv2(self.conv1(x))) + identity)


@register_model("pose-slowonly")
class PoseSlowOnly(nn.Module):
    """Pose-SlowOnly on a K x T x H x W heatmap volume (K = 17 joints or 17 limbs).

    Stages res3-res5 have `stage_blocks` bottlenecks of width base_channels * 2**i (x4 out);
    `inflate[i]` puts a temporal kernel of 3 in the stage's conv1. The init follows mmaction2:
    Kaiming-normal convs (fan_out), BN 1/0 with the last BN of every residual branch zeroed
    (mmaction2's zero_init_residual), FC normal with std 0.01.
    """

    input_kind = "volume"
    default_input_shape: tuple[int, ...] = (NUM_JOINTS, 48, 56, 56)

    def __init__(
        self,
        num_classes: int,
        in_channels: int = NUM_JOINTS,
        base_channels: int = 32,
        stage_blocks: tuple[int, ...] = (4, 6, 3),
        inflate: tuple[bool, ...] = (False, True, True),
        temporal_strides: tuple[int, ...] = (1, 1, 2),
        spatial_strides: tuple[int, ...] = (2, 2, 2),
        stem_pool: bool = False,
        dropout: float = 0.5,
        seed: int = 0,
    ) -> None:
        super().__init__()
        per_stage = {"inflate": inflate, "temporal_strides": temporal_strides, "spatial_strides": spatial_strides}
        for key, values in per_stage.items():
            if len(values) != len(stage_blocks):
                raise ValueError(
                    f"pose-slowonly: {key} has {len(values)} entries but stage_blocks has "
                    f"{len(stage_blocks)} stages"
                )
        self.in_channels = in_channels
        self.stem = _conv_bn(in_channels, base_channels, (1, 7, 7))
        if stem_pool:
            self.stem.append(nn.MaxPool3d((1, 3, 3), stride=1, padding=(0, 1, 1)))
        stages = []
        channels = base_channels
        for i, num_blocks in enumerate(stage_blocks):
            planes = base_channels * 2**i
            blocks = [
                self._block(
                    channels if b == 0 else planes * Bottleneck3d.expansion,
                    planes,
                    temporal_stride=temporal_strides[i] if b == 0 else 1,
                    spatial_stride=spatial_strides[i] if b == 0 else 1,
                    inflate=bool(inflate[i]),
                )
                for b in range(num_blocks)
            ]
            stages.append(nn.Sequential(*blocks))
            channels = planes * Bottleneck3d.expansion
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(channels, num_classes)
        self.reset_parameters(torch.Generator().manual_seed(seed))

    def _block(self, in_channels: int, planes: int, temporal_stride: int, spatial_stride: int,
               inflate: bool) -> nn.Module:
        """One bottleneck of a stage (a subclass may build another kind)."""
        return Bottleneck3d(in_channels, planes, temporal_stride=temporal_stride, spatial_stride=spatial_stride,
                            inflate=inflate)

    def reset_parameters(self, generator: torch.Generator) -> None:
        """mmaction2's ResNet3d + I3DHead init, drawn from `generator`."""
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu", generator=generator)
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        for stage in self.stages:
            for block in stage:
                nn.init.zeros_(block.conv3[1].weight)
        nn.init.normal_(self.fc.weight, std=0.01, generator=generator)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits [N, num_classes] for heatmap volumes [N, K, T, H, W]."""
        if x.ndim != 5 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"pose-slowonly expects [N, {self.in_channels}, T, H, W] heatmap volumes, "
                f"got shape {tuple(x.shape)}"
            )
        x = self.stages(self.stem(x))
        return self.fc(self.dropout(self.pool(x).flatten(1)))
