"""A factorised (2+1)D Pose-CNN on heatmap volumes (papers/factorized-3dcnn-skeleton.txt).

Noor and Park factorise the 3D-CNN of PoseC3D on pseudo joint heatmaps as R(2+1)D does (Tran et
al., CVPR 2018): every t x k x k convolution becomes a 1 x k x k spatial convolution, BN + ReLU,
and a t x 1 x 1 temporal one; the input is 32 frames sampled uniformly. The paper gives no
layer table, so the layout here is Pose-SlowOnly's (posec3d/models/pose_slowonly.py: stem, stages,
widths, strides), with its inflated stages' temporal kernel of 3 in the bottleneck's 3x3
convolution (mmaction2's '3x3x3' inflation, where R(2+1)D's ResNets have it) instead of in its
first 1x1 one: Pose-SlowOnly's '3x1x1' layout has no t x k x k convolution left to factorise.

The intermediate width M of a factorised t x k x k convolution from N_in to N_out channels:
- "matched" (R(2+1)D, its Sec. 3.5): M = floor(t k^2 N_in N_out / (k^2 N_in + t N_out)), which
  gives the (2+1)D block the parameters of the 3D convolution it replaces;
- "light" (the factorised paper: heatmaps need no large width, so it reduces the channels):
  M = N_out, the block's own width, about 45% of the matched block's parameters at t = k = 3.
"""

from __future__ import annotations

from typing import Literal

from torch import nn

from posec3d.models import register_model
from posec3d.models.pose_slowonly import Bottleneck3d, PoseSlowOnly, _conv_bn
from posec3d.skeleton import NUM_JOINTS

MidWidth = Literal["matched", "light"]


def factorised_width(c_in: int, c_out: int, t: int, k: int, mid_width: MidWidth) -> int:
    """The intermediate width of a t x k x k convolution factorised into (2+1)D."""
    if mid_width == "light":
        return c_out
    return (t * k * k * c_in * c_out) // (k * k * c_in + t * c_out)


class Bottleneck2Plus1d(Bottleneck3d):
    """Pose-SlowOnly's bottleneck with its temporal kernel in the 3x3 convolution, factorised:
    1x1x1, then (1x3x3, BN, ReLU, 3x1x1) where inflated (1x3x3 alone elsewhere), then 1x1x1. The
    spatial stride sits on the 1x3x3 convolution, the temporal stride on the 3x1x1 one."""

    def __init__(self, in_channels: int, planes: int, temporal_stride: int = 1, spatial_stride: int = 1,
                 inflate: bool = False, mid_width: MidWidth = "matched") -> None:
        self.mid_width = mid_width
        super().__init__(in_channels, planes, temporal_stride, spatial_stride, inflate)

    def _convs(self, in_channels: int, planes: int, stride: tuple[int, int, int],
               inflate: bool) -> tuple[nn.Module, nn.Module]:
        conv1 = _conv_bn(in_channels, planes, (1, 1, 1))
        if not inflate:
            return conv1, _conv_bn(planes, planes, (1, 3, 3), stride=stride)
        mid = factorised_width(planes, planes, 3, 3, self.mid_width)
        return conv1, nn.Sequential(*_conv_bn(planes, mid, (1, 3, 3), stride=(1, *stride[1:])),
                                    *_conv_bn(mid, planes, (3, 1, 1), stride=(stride[0], 1, 1)))


@register_model("pose-r2plus1d")
class PoseR2Plus1D(PoseSlowOnly):
    """The (2+1)D Pose-CNN on a K x T x H x W heatmap volume: Pose-SlowOnly's stem, stages, widths,
    strides, init and head, with factorised bottlenecks (see the module's docstring)."""

    default_input_shape: tuple[int, ...] = (NUM_JOINTS, 32, 56, 56)

    def __init__(
        self,
        num_classes: int,
        in_channels: int = NUM_JOINTS,
        base_channels: int = 32,
        stage_blocks: tuple[int, ...] = (4, 6, 3),
        inflate: tuple[bool, ...] = (False, True, True),
        temporal_strides: tuple[int, ...] = (1, 1, 2),
        spatial_strides: tuple[int, ...] = (2, 2, 2),
        mid_width: MidWidth = "matched",
        dropout: float = 0.5,
        seed: int = 0,
    ) -> None:
        self.mid_width = mid_width
        super().__init__(num_classes, in_channels=in_channels, base_channels=base_channels,
                         stage_blocks=stage_blocks, inflate=inflate, temporal_strides=temporal_strides,
                         spatial_strides=spatial_strides, dropout=dropout, seed=seed)

    def _block(self, in_channels: int, planes: int, temporal_stride: int, spatial_stride: int,
               inflate: bool) -> nn.Module:
        return Bottleneck2Plus1d(in_channels, planes, temporal_stride, spatial_stride, inflate, self.mid_width)
