"""The pinned stack is installed as the README promises: a matching torch/torchvision pair and
the OpenMMLab packages with mmcv's compiled CPU ops (pose extraction builds on them)."""

from __future__ import annotations

import torch


def test_torch_and_torchvision_are_a_matching_pair() -> None:
    import torchvision
    from torchvision.ops import nms

    assert torch.__version__.startswith("2.13.0") and torchvision.__version__.startswith("0.28.0")
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0], [20.0, 20.0, 30.0, 30.0]])
    assert nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5).tolist() == [0, 2]


def test_openmmlab_stack_with_compiled_cpu_ops() -> None:
    import mmcv
    import mmdet
    import mmpose
    from mmcv.ops import nms

    assert (mmcv.__version__, mmdet.__version__, mmpose.__version__) == ("2.1.0", "3.3.0", "1.3.2")
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0]])
    kept, _ = nms(boxes, torch.tensor([0.9, 0.8]), iou_threshold=0.5)
    assert kept.shape == (1, 5)
