"""PA3D: the Pose-Action 3D Machine's temporal pose convolution and action CNN on heatmap volumes
(Yan et al., CVPR 2019; papers/pa3d-pose-action-3d-machine.txt, Section 3).

PA3D's spatial pose CNN (OpenPose's joint and part-affinity heatmaps per frame) is this
project's pose extraction and pseudo-heatmap volumes: joint heatmaps, and limb heatmaps as the
analogue of its part affinity fields. On a K x T x H x W volume:

1. Temporal association: for each channel c, its T heatmaps stacked in time order, a T x H x W
   cube J~_c.
2. Semantic convolution (Eq. 1): a 1 x 1 convolution of J~_c with filters Theta in R^{N x T x 1 x 1},
   the same filters for every channel (shared among joints, "to alleviate overfitting"). Its
   types (Fig. 3, Table 3): `global` over all T frames (N maps per channel); `local` over every
   window of `local_frames` adjacent frames, stride 1 (N maps per window); `dilated` (Eq. 2) over
   frames `dilation` steps apart, Phi in R^{N x (T/d) x 1 x 1}, once per offset 0..d-1 (N maps per
   offset; T/d rounds down, and an odd T, Jdiff's T - 1, has T - d (T/d - 1) offsets). A
   multi-scale module concatenates the types it names; the paper's best on JHMDB and HMDB is
   global + dilated (Table 3), the default here.
3. Action CNN (Table 1) on the K x R maps (R per channel): six 3x3 convolutions (128, 128, 256,
   256, 512, 512 channels; the first of each pair stride 2), average pooling, FC-512, dropout and
   FC-K. Table 1 names no normalisation or activation; each convolution here has BN + ReLU, and
   FC-512 a ReLU.

`stream`: "frames" (J, or the limbs L), "difference" (J_t - J_{t-1}, its Jdiff: T-1 frames), or
"both" (J and Jdiff, each through its temporal pose convolution, concatenated before the action
CNN: its fusion by concatenation, J (+) Jdiff). `modalities`: how many modalities the input
stacks along its channels, in equal parts (the workflow sets it from the run's modality: 2 for the
`joint-limb` volume, J (+) L, whose joint and limb parts have 17 channels each); each gets its
own temporal pose convolution, as PA3D encodes each pose modality into its own spatio-temporal
representation before concatenating them (Sec. 4.1, Table 5). Fusion by score (its union) is the
workflow's late fusion of separate runs (rule fuse). The temporal pose convolution and the action CNN
learn jointly, from scratch (PA3D found pre-training the action CNN no better, Sec. 4.1).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from posec3d.models import register_model
from posec3d.skeleton import NUM_JOINTS

ConvType = Literal["global", "local", "dilated"]
Stream = Literal["frames", "difference", "both"]


class TemporalPoseConv(nn.Module):
    """Semantic convolutions over each channel's T heatmaps, shared by all channels: [B, K, T, H, W]
    -> [B, K * R, H, W], channel c's R maps together (R = `maps_per_channel`)."""

    def __init__(self, frames: int, outputs: int, types: tuple[ConvType, ...], local_frames: int,
                 dilation: int) -> None:
        super().__init__()
        if not types or len(set(types)) != len(types):
            raise ValueError(f"pa3d: types must name global, local or dilated once each, got {list(types)}")
        self.frames = frames
        convs = {}
        for kind in types:
            if kind == "global":
                convs[kind] = nn.Conv3d(1, outputs, (frames, 1, 1), bias=False)
            elif kind == "local":
                if not 1 <= local_frames <= frames:
                    raise ValueError(f"pa3d: local_frames must be in 1..{frames}, got {local_frames}")
                convs[kind] = nn.Conv3d(1, outputs, (local_frames, 1, 1), bias=False)
            elif kind == "dilated":
                if not 2 <= dilation <= frames // 2:
                    raise ValueError(f"pa3d: dilation must be in 2..{frames // 2} for {frames} frames, got {dilation}")
                convs[kind] = nn.Conv3d(1, outputs, (frames // dilation, 1, 1), dilation=(dilation, 1, 1),
                                        bias=False)
            else:
                raise ValueError(f"pa3d: unknown temporal pose convolution type {kind!r}")
        self.convs = nn.ModuleDict(convs)
        # output positions along time: one; every window; every offset of the dilated taps
        positions = {"global": 1, "local": frames - local_frames + 1,
                     "dilated": frames - dilation * (frames // dilation - 1)}
        self.maps_per_channel = sum(outputs * positions[kind] for kind in types)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, k, t, h, w = x.shape
        if t != self.frames:
            raise ValueError(f"pa3d: its semantic convolutions span {self.frames} frames, got {t}")
        cubes = x.reshape(b * k, 1, t, h, w)  # temporal association: one T x H x W cube per channel
        maps = torch.cat([conv(cubes).flatten(1, 2) for conv in self.convs.values()], dim=1)
        return maps.reshape(b, k * self.maps_per_channel, h, w)


class ActionCNN(nn.Module):
    """PA3D's light action CNN (Table 1) up to its FC-K: six 3x3 convolutions (base, base, 2 base,
    2 base, 4 base, 4 base channels; the first of each pair stride 2), each with BN + ReLU, average
    pooling, FC-`hidden` + ReLU, dropout: [B, C, H, W] -> [B, hidden]."""

    def __init__(self, in_channels: int, base_channels: int = 128, hidden: int = 512, dropout: float = 0.5) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        for i in range(3):
            width = base_channels * 2**i
            for stride in (2, 1):
                layers += [nn.Conv2d(channels, width, 3, stride=stride, padding=1, bias=False),
                           nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
                channels = width
        self.convs = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.hidden = nn.Linear(channels, hidden)
        self.dropout = nn.Dropout(dropout)

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Kaiming-normal convolutions and hidden layer, BN 1/0."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu", generator=generator)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.kaiming_normal_(self.hidden.weight, nonlinearity="relu", generator=generator)
        nn.init.zeros_(self.hidden.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(torch.relu(self.hidden(self.pool(self.convs(x)).flatten(1))))


@register_model("pa3d")
class PA3D(nn.Module):
    """PA3D on a K x T x H x W heatmap volume (see the module's docstring); T must be `frames`."""

    input_kind = "volume"
    default_input_shape: tuple[int, ...] = (NUM_JOINTS, 8, 56, 56)

    def __init__(
        self,
        num_classes: int,
        in_channels: int = NUM_JOINTS,
        frames: int = 8,
        outputs: int = 6,
        types: tuple[ConvType, ...] = ("global", "dilated"),
        local_frames: int = 3,
        dilation: int = 2,
        stream: Stream = "frames",
        modalities: int = 1,
        base_channels: int = 128,
        hidden: int = 512,
        dropout: float = 0.5,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if stream not in ("frames", "difference", "both"):
            raise ValueError(f"pa3d: stream must be frames, difference or both, got {stream!r}")
        if modalities < 1 or in_channels % modalities:
            raise ValueError(f"pa3d: {in_channels} input channels do not split into {modalities} modalities")
        self.in_channels, self.frames, self.stream, self.modalities = in_channels, frames, stream, modalities
        args = (outputs, tuple(types), local_frames, dilation)

        def per_modality(frames: int) -> nn.ModuleList:
            return nn.ModuleList(TemporalPoseConv(frames, *args) for _ in range(modalities))

        self.temporal = per_modality(frames) if stream != "difference" else None
        self.temporal_diff = per_modality(frames - 1) if stream != "frames" else None
        channels = in_channels * sum(m[0].maps_per_channel for m in (self.temporal, self.temporal_diff) if m)
        self.action = ActionCNN(channels, base_channels, hidden, dropout)
        self.fc = nn.Linear(hidden, num_classes)
        self.reset_parameters(torch.Generator().manual_seed(seed))

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Kaiming-normal semantic convolutions, the action CNN's init, FC normal with std 0.01."""
        for stream in (self.temporal, self.temporal_diff):
            for conv in (c for m in stream or () for c in m.convs.values()):
                nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu", generator=generator)
        self.action.reset_parameters(generator)
        nn.init.normal_(self.fc.weight, std=0.01, generator=generator)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits [N, num_classes] for heatmap volumes [N, K, T, H, W]."""
        if x.ndim != 5 or x.shape[1] != self.in_channels:
            raise ValueError(f"pa3d expects [N, {self.in_channels}, T, H, W] heatmap volumes, got {tuple(x.shape)}")
        maps = []
        for i, part in enumerate(x.chunk(self.modalities, dim=1)):  # each modality's channels
            if self.temporal is not None:
                maps.append(self.temporal[i](part))
            if self.temporal_diff is not None:
                maps.append(self.temporal_diff[i](part[:, :, 1:] - part[:, :, :-1]))
        return self.fc(self.action(torch.cat(maps, dim=1)))
