"""Tests for posec3d.models (registry, Pose-SlowOnly, MS-G3D, graphs) and posec3d.complexity.

Every registered model gets the forward, backward, determinism and count tests below for free; its
complexity is checked against per-layer formulas, the two paper models' also against closed-form
counts of their architectures and against the paper's figures as params/tables.yaml declares them.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from posec3d.complexity import ADJACENCY_MASK, Complexity, count, format_complexity
from posec3d.config import ConfigError, read_mapping
from posec3d.models import MODELS, build_model, register_model
from posec3d.models.graph import adjacency, hop_distance, multiscale_adjacency, normalize, window_graph
from posec3d.models.msg3d import MultiScaleGCN
from posec3d.skeleton import BONES, JOINTS, MODALITY_CHANNELS, NUM_JOINTS, NUM_LIMBS

NUM_CLASSES = 5
ROOT = Path(__file__).resolve().parents[1]
REGISTERED = sorted(MODELS)


def small_msg3d(**kwargs: object) -> nn.Module:
    return build_model("msg3d", NUM_CLASSES, base_channels=12, num_gcn_scales=4, num_g3d_scales=2, **kwargs)


def small_input(name: str, batch: int) -> torch.Tensor:
    """A batch of few (8: PA3D's clip), small frames of the kind the registry names for `name`, at
    its default channels."""
    cls = MODELS[name]
    shape = cls.default_input_shape
    if cls.input_kind == "volume":  # [K, T, H, W]
        return torch.rand(batch, shape[0], 8, 16, 16)
    if cls.input_kind == "coordinates":  # [M, T, V, C]
        return torch.randn(batch, shape[0], 8, *shape[2:])
    raise AssertionError(f"{name}: no small input for input kind {cls.input_kind!r}; add one here")


# --- counting by hand -------------------------------------------------------------------------


def _hooked_forward(model: nn.Module, shape: tuple[int, ...],
                    hook: Callable[[nn.Module, tuple, torch.Tensor], None]) -> None:
    """Run one sample of `shape` through `model` (moved to the meta device) with `hook` on every module but the FC."""
    model = model.to("meta").eval()
    handles = [m.register_forward_hook(hook) for m in model.modules() if m is not model.fc]
    with torch.no_grad():
        model(torch.empty((1, *shape), device="meta"))
    for handle in handles:
        handle.remove()


def per_layer_counts(model: nn.Module, shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(parameters, adjacency-mask parameters, MACs) of `model` without its FC, layer by layer.

    From each layer's hyperparameters and the shapes it sees: a conv with kernel k has
    prod(k) * c_in * c_out / groups weights (+ c_out biases) and as many MACs per output position;
    a BN has 2c parameters and no MACs; a graph convolution over K adjacencies of V nodes adds a
    K x V x V mask and K * V * V * C * T MACs for its aggregation. A layer holding parameters of
    another kind fails: a new model's layers get their formula here.
    """
    params = masks = macs = 0
    for m in model.modules():
        own = dict(m.named_parameters(recurse=False))
        if m is model.fc or not own:
            continue
        if isinstance(m, (nn.Conv2d, nn.Conv3d)):
            params += math.prod(m.kernel_size) * m.in_channels * m.out_channels // m.groups
            params += m.out_channels if m.bias is not None else 0
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            params += 2 * m.num_features if m.affine else 0
        elif isinstance(m, nn.Linear):
            params += m.in_features * m.out_features + (m.out_features if m.bias is not None else 0)
        elif isinstance(m, MultiScaleGCN):
            masks += math.prod(m.A.shape)
        else:
            raise AssertionError(f"no parameter formula for {type(m).__name__} ({', '.join(own)})")

    def hook(m: nn.Module, inputs: tuple, out: torch.Tensor) -> None:
        nonlocal macs
        if isinstance(m, (nn.Conv2d, nn.Conv3d)):
            macs += math.prod(m.kernel_size) * m.in_channels // m.groups * out.numel()
        elif isinstance(m, nn.Linear):
            macs += m.in_features * out.numel()
        elif isinstance(m, MultiScaleGCN):
            k, v, _ = m.A.shape
            macs += k * v * inputs[0].numel()  # [N, C, T, V] aggregated over V neighbours, K times

    _hooked_forward(model, shape, hook)
    return params, masks, macs


def mmcv_style_macs(model: nn.Module, shape: tuple[int, ...]) -> int:
    """MACs as mmcv's get_model_complexity_info counts them, the paper's counter (FC left out).

    Conv: MACs plus one per output element for a bias; BN: 2 per input element (affine); ReLU
    modules: one per output element; pooling: one per input element; matrix products: none.
    """
    macs = 0

    def hook(m: nn.Module, inputs: tuple, out: torch.Tensor) -> None:
        nonlocal macs
        if isinstance(m, (nn.Conv2d, nn.Conv3d)):
            macs += math.prod(m.kernel_size) * m.in_channels // m.groups * out.numel()
            macs += out.numel() if m.bias is not None else 0
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            macs += inputs[0].numel() * (2 if m.affine else 1)
        elif isinstance(m, nn.ReLU):
            macs += out.numel()
        elif isinstance(m, (nn.MaxPool2d, nn.MaxPool3d, nn.AdaptiveAvgPool3d)):
            macs += inputs[0].numel()

    _hooked_forward(model, shape, hook)
    return macs


def pose_slowonly_by_hand(
    k: int, t: int, h: int, w: int, base: int = 32, blocks: tuple[int, ...] = (4, 6, 3),
    inflate: tuple[bool, ...] = (False, True, True), t_strides: tuple[int, ...] = (1, 1, 2), s_stride: int = 2,
    mid_width: str | None = None,
) -> tuple[int, int]:
    """(parameters, MACs) of Pose-SlowOnly without its FC on a K x T x H x W volume, from its architecture
    (with `mid_width`, of the (2+1)D Pose-CNN on Pose-SlowOnly's layout).

    Sum over convs of k_t*k_h*k_w*c_in*c_out (no bias) plus 2*c_out for the BN after each, and
    k_t*k_h*k_w*c_in*c_out MACs per output position. Stem 1x7x7 to `base`; stage i has `blocks[i]`
    bottlenecks (1x1 or 3x1x1, 1x3x3, 1x1x1 to 4x its width base*2^i); the first block of each stage
    strides its 1x3x3 conv and has a 1x1x1 projection shortcut with the same stride.
    (2+1)D: each bottleneck is 1x1x1, then 1x3x3 (stride s) alone or, in an inflated stage,
    factorised: 1x3x3 to M channels (spatial stride), BN, ReLU, 3x1x1 back (temporal stride), BN;
    then 1x1x1 to 4x. M = floor(3 * 9 * c * c / (9c + 3c)) = floor(9c / 4) for "matched" (R(2+1)D's
    parameter match to a 3x3x3 convolution of c to c channels), c for "light".
    """
    params = macs = 0

    def conv(c_in: int, c_out: int, kernel: tuple[int, int, int], positions: int) -> None:
        nonlocal params, macs
        weights = math.prod(kernel) * c_in * c_out
        params += weights + 2 * c_out
        macs += weights * positions

    conv(k, base, (1, 7, 7), t * h * w)
    c = base
    for i, n in enumerate(blocks):
        width = base * 2**i
        for b in range(n):
            ts, ss = (t_strides[i], s_stride) if b == 0 else (1, 1)
            t_out, h_out, w_out = -(-t // ts), -(-h // ss), -(-w // ss)
            if mid_width is None:
                conv(c, width, (3 if inflate[i] else 1, 1, 1), t * h * w)
                conv(width, width, (1, 3, 3), t_out * h_out * w_out)
            elif inflate[i]:
                mid = 9 * width // 4 if mid_width == "matched" else width
                conv(c, width, (1, 1, 1), t * h * w)
                conv(width, mid, (1, 3, 3), t * h_out * w_out)
                conv(mid, width, (3, 1, 1), t_out * h_out * w_out)
            else:
                conv(c, width, (1, 1, 1), t * h * w)
                conv(width, width, (1, 3, 3), t_out * h_out * w_out)
            conv(width, 4 * width, (1, 1, 1), t_out * h_out * w_out)
            if b == 0:
                conv(c, 4 * width, (1, 1, 1), t_out * h_out * w_out)
            c, t, h, w = 4 * width, t_out, h_out, w_out
    return params, macs


def action_cnn_by_hand(c: int, h: int, w: int, base: int = 128, hidden: int = 512) -> tuple[int, int]:
    """(parameters, MACs) of PA3D's action CNN (Table 1) up to FC-hidden on c x h x w maps: six
    3x3 convs (no bias, BN) of widths base, base, 2 base, 2 base, 4 base, 4 base, the first of each
    pair stride 2; then FC-hidden (with bias)."""
    params = macs = 0
    for i in range(3):
        width = base * 2**i
        for stride in (2, 1):
            h, w = -(-h // stride), -(-w // stride)
            params += 9 * c * width + 2 * width
            macs += 9 * c * width * h * w
            c = width
    return params + c * hidden + hidden, macs + c * hidden


def pa3d_by_hand(k: int, t: int, h: int, w: int, n: int = 6, types: tuple[str, ...] = ("global", "dilated"),
                 local: int = 3, d: int = 2, stream: str = "frames", modalities: int = 1) -> tuple[int, int]:
    """(parameters, MACs) of PA3D without its FC, from its architecture (Sec. 3, Table 1).

    Per stream (frames: T, difference: T - 1 frames) and per type, N filters of T (global), `local`
    (local) or T // d taps (dilated), no bias, one bank per stacked modality, applied at 1,
    T - local + 1 or T - d (T // d - 1) temporal positions of every channel's H x W maps; then the
    action CNN on all the maps.
    """
    params = macs = maps = 0
    for frames in {"frames": [t], "difference": [t - 1], "both": [t, t - 1]}[stream]:
        for kind in types:
            taps, positions = {"global": (frames, 1), "local": (local, frames - local + 1),
                               "dilated": (frames // d, frames - d * (frames // d - 1))}[kind]
            params += modalities * n * taps
            macs += n * taps * positions * k * h * w
            maps += n * positions
    action = action_cnn_by_hand(k * maps, h, w)
    return params + action[0], macs + action[1]


def msg3d_by_hand(c: int = 3, m: int = 2, base: int = 96, gcn_scales: int = 13, g3d_scales: int = 6,
                  v: int = NUM_JOINTS) -> tuple[int, int]:
    """(parameters, adjacency-mask parameters) of MS-G3D without its FC, from its architecture.

    Every conv has a bias and a BN after it: c_in*c_out*k + c_out + 2*c_out. Data BN over M*V*C.
    Three stages of widths base, 2 base, 4 base: a multi-scale GCN (1x1 conv over K*c_in channels,
    a K x V x V mask), two MS-TCNs and G3D pathways over windows of 3 and 5 frames (a GCN over the
    w*V-node window graph, then a (1, w, 1) conv and BN), then one more MS-TCN. An MS-TCN has six
    branches of width c_out // 6 (the 1x1 branch takes the rest): four 1x1 + 3x1 pairs, a 1x1 +
    max-pool + BN, a 1x1; and a 1x1 residual where width or stride changes. The first stage widens
    inside its graph convolutions, later ones in their first MS-TCN (which strides by 2).
    """
    def conv_bn(c_in: int, c_out: int, k: int = 1) -> int:
        return c_in * c_out * k + 3 * c_out

    def tcn(c_in: int, c_out: int, residual: bool) -> int:
        w = c_out // 6
        return (4 * (conv_bn(c_in, w) + conv_bn(w, w, 3)) + conv_bn(c_in, w) + 2 * w
                + conv_bn(c_in, c_out - 5 * w) + (conv_bn(c_in, c_out) if residual else 0))

    params, masks = 2 * m * v * c, 0
    widths = (c, base, 2 * base, 4 * base)
    for i in range(3):
        c_in, c_out = widths[i], widths[i + 1]
        mid = c_out if i == 0 else c_in
        params += conv_bn(gcn_scales * c_in, mid) + tcn(mid, c_out, residual=i > 0) + 2 * tcn(c_out, c_out, False)
        masks += gcn_scales * v * v
        for window in (3, 5):
            params += conv_bn(g3d_scales * c_in, mid) + window * mid * c_out + 3 * c_out
            masks += g3d_scales * (window * v) ** 2
    return params, masks


# --- every registered model -------------------------------------------------------------------


@pytest.mark.parametrize("name", REGISTERED)
def test_registered_model_has_what_the_engine_needs(name: str) -> None:
    cls = MODELS[name]
    assert cls.input_kind in ("volume", "coordinates")
    assert len(cls.default_input_shape) == 4
    assert {"num_classes", "seed"} <= set(inspect.signature(cls).parameters)
    model = build_model(name, NUM_CLASSES)
    assert isinstance(model.fc, nn.Linear) and model.fc.out_features == NUM_CLASSES


@pytest.mark.parametrize("name", REGISTERED)
def test_forward_and_backward_give_logits_and_finite_grads(name: str) -> None:
    model = build_model(name, NUM_CLASSES)
    logits = model(small_input(name, 2))
    assert logits.shape == (2, NUM_CLASSES)
    nn.functional.cross_entropy(logits, torch.tensor([0, 1])).backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), pname
    assert model.fc.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("name", REGISTERED)
def test_eval_mode_is_deterministic(name: str) -> None:
    options = {"dropout": 0.5} if "dropout" in inspect.signature(MODELS[name]).parameters else {}
    model = build_model(name, NUM_CLASSES, **options).eval()
    x = small_input(name, 1)
    assert torch.equal(model(x), model(x))
    twin = build_model(name, NUM_CLASSES, **options).eval()
    assert torch.equal(model(x), twin(x))


@pytest.mark.parametrize("name", REGISTERED)
def test_count_agrees_with_per_layer_formulas(name: str) -> None:
    shape = MODELS[name].default_input_shape
    c = count(build_model(name, NUM_CLASSES), shape)
    params, masks, macs = per_layer_counts(build_model(name, NUM_CLASSES), shape)
    assert (c.params, c.params_all, c.macs) == (params, params + masks, macs)


# --- registry ---------------------------------------------------------------------------------


def test_unknown_model_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=f"unknown model 'posec3d'.*{', '.join(REGISTERED)}"):
        build_model("posec3d", NUM_CLASSES)


def test_unknown_option_is_named_with_the_accepted_ones() -> None:
    with pytest.raises(ConfigError, match="no option 'widht'.*base_channels"):
        build_model("pose-slowonly", NUM_CLASSES, widht=16)


def test_a_taken_name_cannot_be_registered_again() -> None:
    with pytest.raises(ValueError, match="'msg3d' is taken"):
        register_model("msg3d")(nn.Identity)
    assert MODELS["msg3d"].__name__ == "MSG3D"


def test_build_leaves_global_rng_alone_and_seed_decides_weights() -> None:
    before = torch.random.get_rng_state()
    a = build_model("pose-slowonly", NUM_CLASSES, base_channels=8, seed=3)
    assert torch.equal(torch.random.get_rng_state(), before)
    b = build_model("pose-slowonly", NUM_CLASSES, base_channels=8, seed=3)
    c = build_model("pose-slowonly", NUM_CLASSES, base_channels=8, seed=4)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.stem[0].weight, c.stem[0].weight)


# --- Pose-SlowOnly ----------------------------------------------------------------------------


def test_pose_slowonly_shapes_follow_table2() -> None:
    model = build_model("pose-slowonly", NUM_CLASSES).eval()
    x = torch.rand(2, NUM_JOINTS, 8, 32, 32)
    features = model.stages(model.stem(x))
    # 3 stages with spatial stride 2: 32 -> 4; temporal stride 2 in res5 only: 8 -> 4
    assert features.shape == (2, 512, 4, 4, 4)
    assert model(x).shape == (2, NUM_CLASSES)


def test_pose_slowonly_structure() -> None:
    model = build_model("pose-slowonly", NUM_CLASSES)
    assert model.stem[0].kernel_size == (1, 7, 7) and model.stem[0].stride == (1, 1, 1)
    assert not any(isinstance(m, nn.MaxPool3d) for m in model.modules())
    assert [len(stage) for stage in model.stages] == [4, 6, 3]
    assert [stage[0].conv1[0].kernel_size[0] for stage in model.stages] == [1, 3, 3]
    assert [stage[-1].conv3[0].out_channels for stage in model.stages] == [128, 256, 512]
    assert all((stage[0].downsample is not None) for stage in model.stages)
    assert all(block.downsample is None for stage in model.stages for block in stage[1:])
    assert isinstance(build_model("pose-slowonly", 2, stem_pool=True).stem[-1], nn.MaxPool3d)


def test_pose_slowonly_on_limbs_with_other_widths() -> None:
    model = build_model("pose-slowonly", NUM_CLASSES, in_channels=NUM_LIMBS, base_channels=8, stage_blocks=(1, 1, 1))
    assert model.fc.in_features == 8 * 4 * 4
    assert model(torch.rand(1, NUM_LIMBS, 4, 16, 16)).shape == (1, NUM_CLASSES)


def test_pose_slowonly_init_is_mmaction2s() -> None:
    model = build_model("pose-slowonly", NUM_CLASSES)
    block = model.stages[0][0]
    assert torch.all(block.conv3[1].weight == 0) and torch.all(block.conv2[1].weight == 1)
    assert abs(model.fc.weight.std().item() - 0.01) < 0.002 and torch.all(model.fc.bias == 0)


def test_pose_slowonly_rejects_wrong_input_with_its_shape() -> None:
    model = build_model("pose-slowonly", NUM_CLASSES)
    with pytest.raises(ValueError, match=r"\[N, 17, T, H, W\].*\(1, 3, 4, 16, 16\)"):
        model(torch.rand(1, 3, 4, 16, 16))
    with pytest.raises(ValueError, match="stage_blocks has 3 stages"):
        build_model("pose-slowonly", NUM_CLASSES, temporal_strides=(1, 1))


# --- the (2+1)D Pose-CNN -------------------------------------------------------------------------


@pytest.mark.parametrize("mid_width", ["matched", "light"])
@pytest.mark.parametrize("shape", [(NUM_JOINTS, 32, 56, 56), (NUM_JOINTS, 48, 56, 56), (NUM_LIMBS, 8, 32, 32)])
def test_pose_r2plus1d_count_matches_its_architecture(mid_width: str, shape: tuple[int, ...]) -> None:
    c = count(build_model("pose-r2plus1d", NUM_CLASSES, in_channels=shape[0], mid_width=mid_width), shape)
    assert (c.params, c.macs) == pose_slowonly_by_hand(*shape, mid_width=mid_width)


def test_pose_r2plus1d_factorises_each_3d_convolution() -> None:
    """In inflated stages the 3x3 convolution is 1x3x3 + BN + ReLU + 3x1x1 (R(2+1)D's matched width
    keeps the 3x3x3 layer's parameters within a channel's worth); elsewhere Pose-SlowOnly's layers."""
    model = build_model("pose-r2plus1d", NUM_CLASSES)
    assert model.default_input_shape == (NUM_JOINTS, 32, 56, 56)  # 32 frames, uniformly sampled
    assert [stage[0].conv1[0].kernel_size for stage in model.stages] == [(1, 1, 1)] * 3
    res3, res5 = model.stages[0][0], model.stages[2][0]
    assert res3.conv2[0].kernel_size == (1, 3, 3) and len(res3.conv2) == 3
    spatial, temporal = res5.conv2[0], res5.conv2[3]
    assert (spatial.kernel_size, temporal.kernel_size) == ((1, 3, 3), (3, 1, 1))
    assert isinstance(res5.conv2[2], nn.ReLU) and temporal.stride == (2, 1, 1) and spatial.stride == (1, 2, 2)
    planes = 128
    full = 27 * planes * planes  # the 3x3x3 convolution it replaces
    factorised = spatial.weight.numel() + temporal.weight.numel()
    assert full - 12 * planes <= factorised <= full
    light = build_model("pose-r2plus1d", NUM_CLASSES, mid_width="light").stages[2][0].conv2
    assert light[0].out_channels == planes and light[3].in_channels == planes
    with pytest.raises(ConfigError, match="mid_width"):
        build_model("pose-r2plus1d", NUM_CLASSES, mid_width="heavy")


# --- PA3D -------------------------------------------------------------------------------------


def _semantic_conv_by_loop(x: torch.Tensor, weight: torch.Tensor, dilation: int = 1) -> torch.Tensor:
    """Eq. 1 / Eq. 2 of PA3D by direct loops: out[b, c, n, p, i, j] = sum_s weight[n, s] *
    x[b, c, p + s * dilation, i, j], for every joint c with the same filters."""
    b, k, t, h, w = x.shape
    n, taps = weight.shape
    positions = t - dilation * (taps - 1)
    out = torch.zeros(b, k, n, positions, h, w, dtype=torch.float64)
    for bi in range(b):
        for c in range(k):
            for ni in range(n):
                for p in range(positions):
                    for s_ in range(taps):
                        out[bi, c, ni, p] += weight[ni, s_].double() * x[bi, c, p + s_ * dilation].double()
    return out


@pytest.mark.parametrize("types", [("global",), ("local",), ("dilated",), ("global", "local", "dilated")])
def test_pa3d_temporal_pose_convolution_is_the_papers_semantic_convolution(types: tuple[str, ...]) -> None:
    from posec3d.models.pa3d import TemporalPoseConv

    torch.manual_seed(0)
    x = torch.rand(2, 3, 8, 4, 5)
    module = TemporalPoseConv(frames=8, outputs=2, types=types, local_frames=3, dilation=2)
    expected = []
    for kind, conv in module.convs.items():
        weight = conv.weight[:, 0, :, 0, 0]  # [N, taps]: one filter bank, shared by every joint
        expected.append(_semantic_conv_by_loop(x, weight, dilation=2 if kind == "dilated" else 1).flatten(2, 3))
    # channel c's maps together, type after type, each its filters x positions
    want = torch.cat(expected, dim=2).flatten(1, 2).float()
    got = module(x)
    assert got.shape == (2, 3 * module.maps_per_channel, 4, 5)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    counts = {"global": 2, "local": 2 * 6, "dilated": 2 * 2}
    assert module.maps_per_channel == sum(counts[k] for k in types)


@pytest.mark.parametrize("stream", ["frames", "difference", "both"])
@pytest.mark.parametrize("types", [("global", "dilated"), ("global", "local", "dilated")])
@pytest.mark.parametrize("modalities", [1, 2])
def test_pa3d_count_matches_its_architecture(stream: str, types: tuple[str, ...], modalities: int) -> None:
    shape = (MODALITY_CHANNELS["joint-limb" if modalities == 2 else "joint"], 8, 56, 56)
    model = build_model("pa3d", NUM_CLASSES, in_channels=shape[0], stream=stream, types=types, modalities=modalities)
    c = count(model, shape)
    assert (c.params, c.macs) == pa3d_by_hand(*shape, stream=stream, types=types, modalities=modalities)


def test_pa3d_stacked_modalities_each_have_their_own_temporal_pose_convolution() -> None:
    """J (+) L: the joint-limb volume's halves go through their own semantic convolutions, and the
    action CNN sees the joint maps, then the limb maps; one modality alone is a different model."""
    model = build_model("pa3d", NUM_CLASSES, in_channels=MODALITY_CHANNELS["joint-limb"], modalities=2, stream="both",
                        base_channels=8, hidden=16).eval()
    joints, limbs = torch.rand(2, NUM_JOINTS, 8, 16, 16), torch.rand(2, NUM_LIMBS, 8, 16, 16)
    seen = []
    model.action.register_forward_hook(lambda module, args, out: seen.append(args[0]))
    model(torch.cat([joints, limbs], dim=1))
    diff = [v[:, :, 1:] - v[:, :, :-1] for v in (joints, limbs)]
    want = torch.cat([model.temporal[0](joints), model.temporal_diff[0](diff[0]),
                      model.temporal[1](limbs), model.temporal_diff[1](diff[1])], dim=1)
    torch.testing.assert_close(seen[0], want, rtol=0, atol=0)
    assert not torch.equal(model.temporal[0].convs["global"].weight, model.temporal[1].convs["global"].weight)
    with pytest.raises(ValueError, match="17 input channels do not split into 2 modalities"):
        build_model("pa3d", NUM_CLASSES, modalities=2)


def test_pa3d_difference_stream_is_the_temporal_difference() -> None:
    """Jdiff = J_t - J_{t-1}: a volume constant in time gives zero differences, so the difference
    stream sees nothing; "both" concatenates J's and Jdiff's maps (J (+) Jdiff)."""
    model = build_model("pa3d", NUM_CLASSES, stream="both", base_channels=8, hidden=16).eval()
    still = torch.rand(1, NUM_JOINTS, 1, 16, 16).expand(1, NUM_JOINTS, 8, 16, 16).contiguous()
    assert not model.temporal_diff[0](still[:, :, 1:] - still[:, :, :-1]).any()
    assert model(still).shape == (1, NUM_CLASSES)
    with pytest.raises(ValueError, match="span 8 frames, got 6"):
        model(torch.rand(1, NUM_JOINTS, 6, 16, 16))
    with pytest.raises(ValueError, match="dilation must be in 2..4"):
        build_model("pa3d", NUM_CLASSES, dilation=5)


def test_pose_tsn_averages_frame_scores_and_ignores_their_order() -> None:
    """TSN style: each frame's K heatmaps through the action CNN alone, logits averaged over frames,
    so that reversing the frames changes nothing; its count is T times the action CNN's MACs."""
    model = build_model("pose-tsn", NUM_CLASSES, base_channels=8, hidden=16).eval()
    x = torch.rand(2, NUM_JOINTS, 5, 16, 16)
    torch.testing.assert_close(model(x), model(x.flip(2)))
    each = torch.stack([model(x[:, :, i:i + 1]) for i in range(5)]).mean(0)
    torch.testing.assert_close(model(x), each)
    params, macs = action_cnn_by_hand(NUM_JOINTS, 56, 56)
    c = count(build_model("pose-tsn", NUM_CLASSES), (NUM_JOINTS, 8, 56, 56))
    assert (c.params, c.macs) == (params, 8 * macs)


# --- MS-G3D -----------------------------------------------------------------------------------


def test_msg3d_output_shape_and_stage_widths() -> None:
    model = build_model("msg3d", NUM_CLASSES).eval()
    assert model(torch.randn(2, 2, 16, NUM_JOINTS, 3)).shape == (2, NUM_CLASSES)
    assert model.fc.in_features == 384
    assert [len(stage.g3d) for stage in model.stages] == [2, 2, 2]
    assert model.data_bn.num_features == 2 * NUM_JOINTS * 3


def test_msg3d_averages_persons_after_pooling() -> None:
    model = small_msg3d().eval()
    x = torch.randn(1, 2, 8, NUM_JOINTS, 3)
    # at init data BN treats every person alike, so the person order cannot matter
    torch.testing.assert_close(model(x), model(x.flip(1)))
    single = small_msg3d(num_person=1).eval()
    both = torch.cat([x[:, :1], x[:, :1]], dim=1)
    torch.testing.assert_close(model(both), single(x[:, :1]))


def test_msg3d_options_and_input_errors() -> None:
    model = small_msg3d(in_channels=2, num_person=3, dropout=0.5).eval()
    assert model(torch.randn(1, 3, 8, NUM_JOINTS, 2)).shape == (1, NUM_CLASSES)
    with pytest.raises(ValueError, match=r"\[N, 3, T, 17, 2\].*\(1, 2, 8, 17, 2\)"):
        model(torch.randn(1, 2, 8, NUM_JOINTS, 2))


# --- graph ------------------------------------------------------------------------------------


def test_coco_graph_hops() -> None:
    a = adjacency()
    assert np.array_equal(a, a.T) and a.sum() == 2 * len(BONES) and not a.diagonal().any()
    dist = hop_distance(a)
    nose, left_ankle, right_wrist = JOINTS.index("nose"), JOINTS.index("left_ankle"), JOINTS.index("right_wrist")
    assert dist[nose, left_ankle] == 4  # nose - shoulder - hip - knee - ankle
    assert dist[left_ankle, right_wrist] == 7
    assert dist.max() == dist[left_ankle, JOINTS.index("right_ankle")] == 8  # via the nose: no hip bone


def test_multiscale_adjacency_is_disentangled_and_symmetrically_normalised() -> None:
    a = adjacency()
    scales = multiscale_adjacency(a, 13)
    assert scales.shape == (13, NUM_JOINTS, NUM_JOINTS)
    np.testing.assert_allclose(scales, scales.transpose(0, 2, 1))
    np.testing.assert_allclose(scales[0], np.eye(NUM_JOINTS))
    np.testing.assert_allclose(scales[1], normalize(a + np.eye(NUM_JOINTS)))
    # D^-1/2 (A + I) D^-1/2 has eigenvalue 1 with eigenvector sqrt(degree)
    d = np.sqrt((a + np.eye(NUM_JOINTS)).sum(1))
    np.testing.assert_allclose(scales[1] @ d, d)
    # every pair of distinct joints is linked in exactly one scale; scales past the diameter
    # (8 hops) hold the self-loops only
    links = (scales > 0) & ~np.eye(NUM_JOINTS, dtype=bool)
    np.testing.assert_array_equal(links.sum(0), 1 - np.eye(NUM_JOINTS))
    assert not links[9:].any()


def test_window_graph_links_each_joint_across_frames() -> None:
    g = window_graph(adjacency(), 3)
    assert g.shape == (3 * NUM_JOINTS, 3 * NUM_JOINTS)
    assert g[0, 2 * NUM_JOINTS] == 1 and g[5, NUM_JOINTS + 0] == 1 and g[0, NUM_JOINTS + 15] == 0
    assert hop_distance(g).max() == hop_distance(adjacency()).max()


def test_bad_bone_is_reported() -> None:
    with pytest.raises(ValueError, match=r"bone \(3, 17\)"):
        adjacency(((3, 17),), NUM_JOINTS)


# --- complexity: closed-form counts and the paper's figures ------------------------------------


@pytest.mark.parametrize(("options", "shape", "by_hand"), [
    ({}, (NUM_JOINTS, 48, 56, 56), {}),  # Table 4's input
    ({"base_channels": 16}, (NUM_JOINTS, 12, 64, 64), {"base": 16}),  # Sec. 4.4.3, at the 64x64 test crop
    ({"in_channels": NUM_LIMBS, "base_channels": 8, "stage_blocks": (1, 2, 1), "temporal_strides": (1, 1, 1)},
     (NUM_LIMBS, 7, 15, 17), {"base": 8, "blocks": (1, 2, 1), "t_strides": (1, 1, 1)}),
])
def test_pose_slowonly_count_is_the_closed_form(options: dict, shape: tuple[int, ...], by_hand: dict) -> None:
    c = count(build_model("pose-slowonly", 60, **options), shape)
    assert (c.params, c.macs) == pose_slowonly_by_hand(*shape, **by_hand)
    assert c.params_all == c.params


@pytest.mark.parametrize(("options", "by_hand"), [
    ({}, {}),
    ({"in_channels": 2, "num_person": 1, "base_channels": 12, "num_gcn_scales": 4, "num_g3d_scales": 2},
     {"c": 2, "m": 1, "base": 12, "gcn_scales": 4, "g3d_scales": 2}),
])
def test_msg3d_count_is_the_closed_form(options: dict, by_hand: dict) -> None:
    model = build_model("msg3d", 60, **options)
    c = count(model, (model.num_person, 20, NUM_JOINTS, model.in_channels))
    params, masks = msg3d_by_hand(**by_hand)
    assert (c.params, c.params_all - c.params) == (params, masks)
    assert masks == sum(p.numel() for name, p in model.named_parameters() if name.endswith(f".{ADJACENCY_MASK}"))


def paper_counts() -> list[tuple[str, str, str, float]]:
    """(model, unit, row, paper figure) of every Table 4 count at the paper's input, read from params/tables.yaml.

    MS-G3D's declared paper input (2 persons, 300 frames) is NTU's, so only its NTU rows' FLOPs
    apply; the paper does not give the FineGYM and Kinetics inputs behind its other FLOPs.
    """
    table = read_mapping(ROOT / "params" / "tables.yaml")["table4"]
    rows = {"pose-slowonly": table["rows"], "msg3d": [r for r in table["rows"] if r.startswith("ntu")]}
    return [(col["count"]["model"], col["unit"], row, value)
            for col in table["columns"] if col.get("count", {}).get("at") == "paper"
            for row, value in col["paper"].items() if col["unit"] == "M" or row in rows[col["count"]["model"]]]


@pytest.mark.parametrize(("model", "unit", "row", "paper"), paper_counts())
def test_paper_models_match_table4_at_the_papers_input(model: str, unit: str, row: str, paper: float) -> None:
    """Within one unit of the paper's last printed digit (2.8M: 0.1M).

    Parameters as `count` gives them; FLOPs as the paper's counter (mmcv) gives them: our
    `count` also counts matrix products and leaves out BN, ReLU and pooling (posec3d.complexity).
    """
    table = read_mapping(ROOT / "params" / "tables.yaml")["table4"]
    options = {k: v for k, v in read_mapping(ROOT / "params" / "recipes" / f"{model}.yaml")["model"].items()
               if k != "name"}
    shape = tuple(table["paper_inputs"][model])
    built = build_model(model, 60, **options)
    ours = count(built, shape).params / 1e6 if unit == "M" else mmcv_style_macs(built, shape) / 1e9
    decimals = len(repr(paper).partition(".")[2])
    assert abs(ours - paper) <= 10**-decimals, f"{model} {row}: ours {ours:.3f}{unit}, paper {paper}{unit}"


def test_msg3d_macs_scale_with_persons_and_frames() -> None:
    one = count(build_model("msg3d", 60, num_person=1), (1, 40, NUM_JOINTS, 3)).macs
    two = count(build_model("msg3d", 60), (2, 40, NUM_JOINTS, 3)).macs
    assert two == 2 * one
    single = count(build_model("msg3d", 60, num_person=1), (1, 20, NUM_JOINTS, 3)).macs
    assert single == pytest.approx(one / 2, rel=0.01)


def test_count_leaves_out_the_fc_and_leaves_the_model_alone() -> None:
    small, large = (build_model("pose-slowonly", n, base_channels=8) for n in (2, 400))
    shape = (NUM_JOINTS, 4, 16, 16)
    assert count(small, shape) == count(large, shape)
    assert isinstance(small.fc, nn.Linear) and small.fc.weight.device.type == "cpu"
    with pytest.raises(TypeError, match="Sequential has no nn.Linear `fc`"):
        count(nn.Sequential(nn.Linear(2, 2)), (2,))


def test_format_complexity() -> None:
    c = Complexity(params=2_030_000, params_all=2_030_000, macs=15_870_000_000)
    assert format_complexity("pose-slowonly", (17, 48, 56, 56), c) == (
        "pose-slowonly 17x48x56x56: 2.03M params, 15.87 GMACs (FC left out)"
    )
    c = Complexity(params=2_764_422, params_all=2_952_561, macs=6_810_101_400)
    assert format_complexity("msg3d", (2, 100, 17, 3), c) == (
        "msg3d 2x100x17x3: 2.76M params (2.95M with adjacency masks), 6.81 GMACs (FC left out)"
    )
