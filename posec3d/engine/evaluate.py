"""Inference over a split: class probabilities averaged over k clips per video."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from posec3d.data import ClipDataset


@torch.no_grad()
def predict(
    model: nn.Module,
    dataset: ClipDataset,
    device: torch.device,
    batch_size: int,
    num_workers: int = 0,
    amp: bool = False,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Softmax scores [N, C] (mean over each video's clips) and labels [N]."""
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers,
                        collate_fn=dataset.collate)
    model.eval()
    adapter = dataset.adapter
    scores, labels = [], []
    for batch, label in tqdm(loader, desc="test", disable=not progress, leave=False):
        x = adapter.to_model(batch, device)
        with torch.autocast(device.type, enabled=amp and device.type == "cuda"):
            logits = model(x)
        prob = logits.float().softmax(dim=-1).view(len(label), dataset.num_clips, -1).mean(dim=1)
        scores.append(prob.cpu().numpy())
        labels.append(label.numpy())
    return np.concatenate(scores), np.concatenate(labels)
