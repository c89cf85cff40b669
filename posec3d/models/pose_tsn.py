"""A TSN-style pose model: PA3D's action CNN on each frame's heatmaps alone, class scores averaged
over the frames (PA3D's "TSN Style" temporal modelling, its Table 2 baseline, after Wang et al.'s
temporal segment networks: segments classified apart, their scores averaged).

It sees no motion but what single poses imply, which is what PA3D's temporal pose convolution and
a 3D-CNN's temporal kernels are measured against.
"""

from __future__ import annotations

import torch
from torch import nn

from posec3d.models import register_model
from posec3d.models.pa3d import ActionCNN
from posec3d.skeleton import NUM_JOINTS


@register_model("pose-tsn")
class PoseTSN(nn.Module):
    """Per-frame action CNN on a K x T x H x W heatmap volume; logits averaged over the T frames."""

    input_kind = "volume"
    default_input_shape: tuple[int, ...] = (NUM_JOINTS, 8, 56, 56)

    def __init__(self, num_classes: int, in_channels: int = NUM_JOINTS, base_channels: int = 128, hidden: int = 512,
                 dropout: float = 0.5, seed: int = 0) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.action = ActionCNN(in_channels, base_channels, hidden, dropout)
        self.fc = nn.Linear(hidden, num_classes)
        generator = torch.Generator().manual_seed(seed)
        self.action.reset_parameters(generator)
        nn.init.normal_(self.fc.weight, std=0.01, generator=generator)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits [N, num_classes]: the mean over frames of each frame's logits."""
        if x.ndim != 5 or x.shape[1] != self.in_channels:
            raise ValueError(f"pose-tsn expects [N, {self.in_channels}, T, H, W] heatmap volumes, "
                             f"got {tuple(x.shape)}")
        n, k, t, h, w = x.shape
        frames = x.transpose(1, 2).reshape(n * t, k, h, w)
        return self.fc(self.action(frames)).view(n, t, -1).mean(dim=1)
