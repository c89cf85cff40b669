"""posec3d.volumes: frame sampling, coordinate transforms, heatmap rendering, the engine calls."""

from __future__ import annotations

import dataclasses
import json
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from posec3d.config import ConfigError
from posec3d.data import VolumeInput
from posec3d.skeleton import JOINT_FLIP, LIMBS, MODALITY_CHANNELS, NUM_JOINTS, NUM_LIMBS
from posec3d.volumes import (
    VolumeConfig,
    collate_coordinates,
    collate_stored,
    fixed_stride_indices,
    flip_volume,
    joint_heatmaps,
    limb_heatmaps,
    prepare_clip,
    prepare_stored,
    render,
    render_stored,
    stacked_heatmaps,
    uniform_indices,
)
from posec3d.volumes.heatmaps import LIMB_CUTOFF
from posec3d.volumes.transforms import (
    Box,
    box_to_canvas,
    flip_coordinates,
    full_frame,
    random_resized_box,
    subject_box,
)
from tests.reference_heatmaps import reference_joint_heatmaps, reference_limb_heatmaps

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
SIZE = (20, 24)  # (H, W): small and not square, so that x and y cannot be mixed up


def _poses(rng: np.random.Generator, n: int, m: int, t: int, size=SIZE):
    """Random coordinates, some off the canvas, and scores with a few exact zeros."""
    h, w = size
    kp = np.stack([rng.uniform(-3, w + 3, (n, m, t, NUM_JOINTS)),
                   rng.uniform(-3, h + 3, (n, m, t, NUM_JOINTS))], axis=-1).astype(np.float32)
    score = rng.uniform(0, 1, (n, m, t, NUM_JOINTS)).astype(np.float32)
    score[rng.uniform(size=score.shape) < 0.1] = 0.0
    return kp, score


def _tensors(*arrays: np.ndarray, device: str = "cpu") -> list[torch.Tensor]:
    return [torch.from_numpy(a).to(device) for a in arrays]


# --------------------------------------------------------------------------- heatmaps


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("persons", [1, 2])
@pytest.mark.parametrize("combine", ["sum", "max"])
def test_joint_heatmaps_match_eq1_reference(device, persons, combine):
    kp, score = _poses(np.random.default_rng(persons), 2, persons, 3)
    kp[0, 0, 0, 4] = (-40.0, 60.0)  # far off the canvas: renders (almost) nothing
    fast = joint_heatmaps(*_tensors(kp, score, device=device), SIZE, 0.6, combine)
    assert fast.device.type == device and fast.dtype == torch.float32
    assert fast.shape == (2, NUM_JOINTS, 3, *SIZE)
    ref = reference_joint_heatmaps(kp, score, SIZE, 0.6, combine)
    np.testing.assert_allclose(fast.cpu().numpy(), ref, atol=1e-4, rtol=0)
    assert ref.max() > 0.5  # the comparison is not between two blank canvases


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("persons", [1, 2])
@pytest.mark.parametrize("combine", ["sum", "max"])
def test_limb_heatmaps_match_eq2_reference(device, persons, combine):
    kp, score = _poses(np.random.default_rng(10 + persons), 2, persons, 3)
    kp[0, 0, 0, 7] = kp[0, 0, 0, 5]  # zero-length limb (5, 7)
    kp[1, 0, 2, 9] = (kp[1, 0, 2, 7, 0] + 0.3, kp[1, 0, 2, 7, 1])  # sub-pixel limb (7, 9)
    kp[1, -1, 1, 0] = (-30.0, -30.0)  # limbs reaching in from far outside the canvas
    fast = limb_heatmaps(*_tensors(kp, score, device=device), SIZE, 0.6, combine=combine)
    assert fast.device.type == device and fast.dtype == torch.float32
    assert fast.shape == (2, NUM_LIMBS, 3, *SIZE)
    ref = reference_limb_heatmaps(kp, score, SIZE, 0.6, combine=combine)
    np.testing.assert_allclose(fast.cpu().numpy(), ref, atol=1e-4, rtol=0)
    assert ref.max() > 0.5


def test_zero_length_limb_is_a_point_gaussian_weighted_by_the_lower_score():
    kp = np.zeros((1, 1, 1, NUM_JOINTS, 2), dtype=np.float32)
    kp[..., 5, :] = kp[..., 7, :] = (10.0, 7.0)
    score = np.zeros((1, 1, 1, NUM_JOINTS), dtype=np.float32)
    score[..., 5], score[..., 7] = 0.9, 0.4
    limb = LIMBS.index((5, 7))
    got = limb_heatmaps(*_tensors(kp, score), SIZE, sigma=1.5)[0, limb, 0].numpy()
    ys, xs = np.mgrid[0 : SIZE[0], 0 : SIZE[1]]
    expected = 0.4 * np.exp(-((xs - 10.0) ** 2 + (ys - 7.0) ** 2) / (2 * 1.5**2))
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_joint_gaussian_is_exact_far_from_its_centre():
    # pyskl cuts gaussians off at 3 sigma; Eq. 1 does not.
    kp = np.full((1, 1, 1, NUM_JOINTS, 2), 5.0, dtype=np.float32)
    score = np.ones((1, 1, 1, NUM_JOINTS), dtype=np.float32)
    got = joint_heatmaps(*_tensors(kp, score), SIZE, sigma=1.0)[0, 0, 0, 5].numpy()
    expected = np.exp(-((np.arange(SIZE[1]) - 5.0) ** 2 + 0.0) / 2)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-12)
    assert got[9] > 1e-4  # 4 sigma away: still there


@pytest.mark.parametrize("heatmaps", [joint_heatmaps, limb_heatmaps])
def test_zero_scores_render_exactly_nothing(heatmaps):
    kp, _ = _poses(np.random.default_rng(3), 2, 2, 2)
    score = np.zeros(kp.shape[:-1], dtype=np.float32)
    assert torch.count_nonzero(heatmaps(*_tensors(kp, score), SIZE)) == 0


@pytest.mark.parametrize("heatmaps", [joint_heatmaps, limb_heatmaps])
def test_no_persons_render_empty_volumes(heatmaps):
    kp = torch.zeros(2, 0, 3, NUM_JOINTS, 2)
    vol = heatmaps(kp, torch.zeros(2, 0, 3, NUM_JOINTS), SIZE)
    assert vol.shape == (2, 17, 3, *SIZE) and torch.count_nonzero(vol) == 0


def test_persons_accumulate_into_one_canvas():
    kp, score = _poses(np.random.default_rng(4), 1, 2, 2)
    both = joint_heatmaps(*_tensors(kp, score), SIZE)
    alone = [joint_heatmaps(*_tensors(kp[:, [m]], score[:, [m]]), SIZE) for m in range(2)]
    torch.testing.assert_close(both, alone[0] + alone[1])
    most = joint_heatmaps(*_tensors(kp, score), SIZE, combine="max")
    torch.testing.assert_close(most, torch.maximum(*alone))


@pytest.mark.parametrize("modality,heatmaps", [("joint", joint_heatmaps), ("limb", limb_heatmaps),
                                               ("joint-limb", stacked_heatmaps)])
def test_flipping_the_volume_equals_rendering_flipped_coordinates(modality, heatmaps):
    kp, score = _poses(np.random.default_rng(5), 2, 2, 3)
    flipped_kp, flipped_score = flip_coordinates(kp, score, SIZE[1])
    direct = heatmaps(*_tensors(flipped_kp, flipped_score), SIZE)
    mirrored = flip_volume(heatmaps(*_tensors(kp, score), SIZE), modality)
    torch.testing.assert_close(mirrored, direct, atol=1e-5, rtol=0)


def test_flip_volume_rejects_the_wrong_channels():
    with pytest.raises(ValueError, match="limb volumes"):
        flip_volume(torch.zeros(1, 5, 2, 4, 4), "limb")
    with pytest.raises(ValueError, match="modality"):
        flip_volume(torch.zeros(1, 17, 2, 4, 4), "bone")


def test_heatmaps_reject_mismatched_inputs():
    kp = torch.zeros(1, 1, 2, NUM_JOINTS, 2)
    with pytest.raises(ValueError, match="score must be"):
        joint_heatmaps(kp, torch.zeros(1, 1, 3, NUM_JOINTS), SIZE)
    with pytest.raises(ValueError, match="combine"):
        joint_heatmaps(kp, torch.zeros(1, 1, 2, NUM_JOINTS), SIZE, combine="mean")
    with pytest.raises(ValueError, match="limbs"):
        limb_heatmaps(kp, torch.zeros(1, 1, 2, NUM_JOINTS), SIZE, limbs=[(0, 17)])


@pytest.mark.parametrize("size", [(56, 56), (17, 31)])
def test_limb_heatmaps_match_eq2_reference_whatever_the_tiling(size):
    # 56x56: 8x8 tiles, and 17 limbs x 6 frames = 102 maps, more than one CPU block;
    # 17x31: prime sides, one-pixel tiles.
    h, w = size
    kp, score = _poses(np.random.default_rng(20), 1, 2, 6, size)
    kp[0, 0, 0, 5], kp[0, 0, 0, 7] = (-30.0, 3.0), (w + 30.0, h - 4.0)  # ends off the canvas
    kp[0, 1, 5, 11], kp[0, 1, 5, 13] = (1.0, 0.5), (w - 1.0, h - 0.5)  # the canvas diagonal
    score[0, :, :, [5, 7, 11, 13]] = 1.0
    fast = limb_heatmaps(*_tensors(kp, score), size)
    ref = reference_limb_heatmaps(kp, score, size)
    np.testing.assert_allclose(fast.numpy(), ref, atol=1e-4, rtol=0)


@pytest.mark.parametrize("size", [(56, 56), (53, 59)])  # 8x8 tiles; one-pixel tiles
@pytest.mark.parametrize("weight", [1.0, 0.3, 4.0])
def test_limb_values_are_exact_down_to_the_cutoff_and_zero_below(size, weight):
    # Scores above 1 (pose estimators' heatmap peaks can be) reach farther than 1 does.
    kp = np.zeros((1, 1, 1, NUM_JOINTS, 2), dtype=np.float32)
    kp[..., 5, :], kp[..., 7, :] = (20.3, 17.8), (33.9, 29.2)
    score = np.zeros((1, 1, 1, NUM_JOINTS), dtype=np.float32)
    score[..., [5, 7]] = weight
    limb = LIMBS.index((5, 7))
    got = limb_heatmaps(*_tensors(kp, score), size, sigma=1.3)[0, limb, 0].numpy()
    ref = reference_limb_heatmaps(kp, score, size, sigma=1.3)[0, limb, 0]
    above, below = ref > 1.01 * LIMB_CUTOFF, ref < 0.99 * LIMB_CUTOFF
    np.testing.assert_allclose(got[above], ref[above], rtol=1e-4)
    assert np.all(got[below] == 0)
    assert above.sum() > 300 and below.sum() > 1000  # both sides of the cutoff are tested


@pytest.mark.parametrize("heatmaps", [joint_heatmaps, limb_heatmaps, stacked_heatmaps])
@pytest.mark.parametrize("persons", [0, 2])
@pytest.mark.parametrize("combine", ["sum", "max"])
def test_rendering_into_a_used_buffer_overwrites_all_of_it(heatmaps, persons, combine):
    kp, score = _tensors(*_poses(np.random.default_rng(21), 2, persons, 3))
    fresh = heatmaps(kp, score, SIZE, combine=combine)
    buffer = torch.full_like(fresh, math.nan)
    got = heatmaps(kp, score, SIZE, combine=combine, out=buffer)
    assert got is buffer
    torch.testing.assert_close(got, fresh, rtol=0, atol=0)


@pytest.mark.parametrize("heatmaps,modality", [(joint_heatmaps, "joint"), (limb_heatmaps, "limb"),
                                               (stacked_heatmaps, "joint-limb")])
def test_out_must_be_a_contiguous_float32_volume_of_the_right_shape(heatmaps, modality):
    kp, score = _tensors(*_poses(np.random.default_rng(22), 1, 1, 2))
    channels = MODALITY_CHANNELS[modality]
    shape = (1, channels, 2, *SIZE)
    for bad in (torch.empty(1, channels, 2, 20, 23), torch.empty(shape, dtype=torch.float64),
                torch.empty(1, channels, 2, 24, 20).transpose(-1, -2)):
        with pytest.raises(ValueError, match="out must be a contiguous float32 tensor"):
            heatmaps(kp, score, SIZE, out=bad)


# --------------------------------------------------------------------------- sampling


def test_uniform_training_takes_one_sorted_frame_per_segment():
    total, clip_len = 500, 48
    inds = uniform_indices(total, clip_len, 3, test_mode=False, rng=np.random.default_rng(0))
    assert inds.shape == (3, clip_len) and inds.dtype == np.int64
    bounds = np.arange(clip_len + 1) * total // clip_len
    for clip in inds:
        assert np.all(clip >= bounds[:-1]) and np.all(clip < bounds[1:])
    assert not np.array_equal(inds[0], inds[1])  # each clip draws its own frames


def test_uniform_training_is_reproducible_from_the_rng():
    def draw(seed):
        return uniform_indices(300, 48, 2, test_mode=False, rng=np.random.default_rng(seed))

    np.testing.assert_array_equal(draw(7), draw(7))
    assert not np.array_equal(draw(7), draw(8))


@pytest.mark.parametrize("test_mode", [False, True])
def test_uniform_medium_clips_skip_frames_without_repeats(test_mode):
    # clip_len <= total < 2 * clip_len: increasing frames, total - clip_len of them skipped.
    rng = np.random.default_rng(1)
    inds = uniform_indices(70, 48, 4, test_mode=test_mode, rng=rng)
    for clip in inds:
        steps = np.diff(clip)
        assert np.all((steps == 1) | (steps == 2)) and clip[0] in (0, 1) and clip[-1] < 70


@pytest.mark.parametrize("test_mode", [False, True])
def test_uniform_short_clips_wrap_around(test_mode):
    inds = uniform_indices(10, 48, 3, test_mode=test_mode, rng=np.random.default_rng(2))
    for clip in inds:
        np.testing.assert_array_equal(clip, (clip[0] + np.arange(48)) % 10)
    if test_mode:  # pyskl: test clips start evenly spread over the short video
        np.testing.assert_array_equal(inds[:, 0], [0, 3, 6])


def test_uniform_test_mode_is_fixed_and_leaves_global_state_alone():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    first = uniform_indices(400, 48, 10, test_mode=True)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    np.random.seed(999)
    np.testing.assert_array_equal(uniform_indices(400, 48, 10, test_mode=True), first)
    assert len({tuple(clip) for clip in first}) == 10  # ten different clips
    assert not np.array_equal(uniform_indices(400, 48, 10, test_mode=True, test_seed=1), first)


def test_sampling_needs_an_rng_in_training_and_sane_counts():
    with pytest.raises(ValueError, match="rng"):
        uniform_indices(100, 48, test_mode=False)
    with pytest.raises(ValueError, match="rng"):
        fixed_stride_indices(100, 8, 2, test_mode=False)
    with pytest.raises(ValueError, match="total_frames"):
        uniform_indices(0, 48, test_mode=True)
    with pytest.raises(ValueError, match="stride"):
        fixed_stride_indices(100, 8, 0, test_mode=True)


def test_fixed_stride_training_windows():
    rng = np.random.default_rng(3)
    for _ in range(20):
        inds = fixed_stride_indices(100, 8, 3, 2, test_mode=False, rng=rng)
        assert inds.shape == (2, 8)
        assert np.all(np.diff(inds, axis=1) == 3)  # no wrap: 100 frames hold a 24-frame span
        # mmaction2: the video is split in num_clips parts and each window starts in its part
        assert 0 <= inds[0, 0] < 38 and 38 <= inds[1, 0] < 76


def test_fixed_stride_test_windows_are_evenly_spaced():
    # span 16; avg interval (100 - 16 + 1) / 3 = 28.33; starts at interval centres 14.2, 42.5, 70.8
    inds = fixed_stride_indices(100, 8, 2, 3, test_mode=True)
    np.testing.assert_array_equal(inds[:, 0], [14, 42, 70])
    np.testing.assert_array_equal(inds[1], 42 + 2 * np.arange(8))


def test_fixed_stride_windows_loop_past_the_end():
    np.testing.assert_array_equal(fixed_stride_indices(10, 8, 2, test_mode=True),
                                  [[0, 2, 4, 6, 8, 0, 2, 4]])
    inds = fixed_stride_indices(10, 8, 2, test_mode=False, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(inds, (inds[:, :1] + 2 * np.arange(8)) % 10)


# --------------------------------------------------------------------------- transforms


def test_subject_box_is_the_padded_square_around_all_poses():
    kp = np.zeros((2, 3, NUM_JOINTS, 2), dtype=np.float32)  # zeros: missing joints
    kp[0, 0, 0] = (100.0, 120.0)
    kp[0, 2, 3] = (200.0, 50.0)
    kp[1, 1, 8] = (150.0, 250.0)
    # tight box x 100..200, y 50..250; centre (150, 150); half side 200 / 2 * 1.25 = 125
    assert subject_box(kp, (480, 640)) == Box(25.0, 25.0, 275.0, 275.0)


def test_subject_box_may_reach_past_the_frame_and_is_square():
    rng = np.random.default_rng(4)
    for _ in range(10):
        kp = rng.uniform(0, 300, (2, 5, NUM_JOINTS, 2)) * rng.uniform(0.1, 1, 2)
        box = subject_box(kp, (300, 300))
        assert math.isclose(box.width, box.height)
    kp = np.array([[[[2.0, 10.0], [60.0, 290.0]]]])
    assert subject_box(kp, (300, 100)).x0 < 0  # allow_imgpad: the square overhangs the frame


def test_subject_box_is_skipped_below_the_threshold():
    kp = np.zeros((1, 4, NUM_JOINTS, 2))
    kp[0, :, :5] = np.random.default_rng(5).uniform(300, 308, (4, 5, 2))  # an 8-px pose
    assert subject_box(kp, (480, 640), threshold=10) == full_frame((480, 640))
    assert subject_box(kp, (480, 640), threshold=5) != full_frame((480, 640))
    assert subject_box(np.zeros((0, 4, NUM_JOINTS, 2)), (480, 640)) == Box(0, 0, 640, 480)


def test_random_resized_box_stays_inside_within_area_and_aspect_ranges():
    box = Box(10.0, 20.0, 110.0, 120.0)
    rng = np.random.default_rng(6)
    for _ in range(200):
        sub = random_resized_box(box, rng, (0.56, 1.0), (3 / 4, 4 / 3))
        assert box.x0 <= sub.x0 < sub.x1 <= box.x1 + 1e-9
        assert box.y0 <= sub.y0 < sub.y1 <= box.y1 + 1e-9
        area = sub.width * sub.height / (box.width * box.height)
        aspect = sub.width / sub.height
        fallback = math.isclose(area, 1.0) and math.isclose(aspect, 1.0)
        assert fallback or (0.56 - 1e-9 <= area <= 1.0 and 3 / 4 - 1e-9 <= aspect <= 4 / 3 + 1e-9)


def test_random_resized_box_falls_back_to_the_centre_square():
    wide = Box(0.0, 0.0, 100.0, 10.0)  # no square of its full area fits
    sub = random_resized_box(wide, np.random.default_rng(0), (1.0, 1.0), (1.0, 1.0))
    assert sub == Box(45.0, 0.0, 55.0, 10.0)


def test_box_to_canvas_maps_the_box_onto_the_canvas():
    box = Box(10.0, 20.0, 110.0, 70.0)
    corners = np.array([[10.0, 20.0], [110.0, 70.0], [60.0, 45.0]], dtype=np.float32)
    np.testing.assert_allclose(box_to_canvas(corners, box, (56, 40)),
                               [[0, 0], [40, 56], [20, 28]], atol=1e-5)


def test_flip_swaps_left_and_right_and_is_an_involution():
    kp, score = _poses(np.random.default_rng(7), 1, 2, 3)
    flipped, flipped_score = flip_coordinates(kp, score, 24)
    left_wrist, right_wrist = 9, 10
    np.testing.assert_allclose(flipped[..., right_wrist, 0], 23 - kp[..., left_wrist, 0])
    np.testing.assert_allclose(flipped[..., right_wrist, 1], kp[..., left_wrist, 1])
    np.testing.assert_array_equal(flipped_score[..., right_wrist], score[..., left_wrist])
    np.testing.assert_array_equal(flipped[..., 0, 1], kp[..., 0, 1])  # the nose stays the nose
    again = flip_coordinates(flipped, flipped_score, 24)
    np.testing.assert_allclose(again[0], kp, atol=1e-5)
    np.testing.assert_array_equal(again[1], score)
    assert JOINT_FLIP[left_wrist] == right_wrist


# --------------------------------------------------------------------------- pipeline


def _clip(rng: np.random.Generator, persons: int = 2, frames: int = 60) -> dict:
    """A clip in the mmaction2 format: poses spanning x 200..300, y 100..400 of a 640x480 frame.

    The nose and left eye sit at the corners of that box in every frame.
    """
    kp = np.stack([rng.uniform(200, 300, (persons, frames, NUM_JOINTS)),
                   rng.uniform(100, 400, (persons, frames, NUM_JOINTS))], axis=-1)
    kp[:, :, 0], kp[:, :, 1] = (200, 100), (300, 400)
    return {"frame_dir": "S001C001P001R001A001", "label": 3, "img_shape": (480, 640),
            "total_frames": frames, "keypoint": kp.astype(np.float16),
            "keypoint_score": rng.uniform(0.2, 1, (persons, frames, NUM_JOINTS)).astype(np.float16)}


def test_prepare_clip_test_mode_maps_the_padded_pose_box_onto_the_canvas():
    cfg = VolumeConfig(num_clips=3)
    kp, score = prepare_clip(_clip(np.random.default_rng(8)), cfg, test_mode=True, rng=None)
    assert kp.shape == (3, 2, 48, NUM_JOINTS, 2) and score.shape == (3, 2, 48, NUM_JOINTS)
    assert kp.dtype == np.float32 and score.dtype == np.float32
    # Tight box x 200..300, y 100..400 -> square box 62.5..437.5 (375 px) -> 56 px canvas.
    scale = 56 / 375
    np.testing.assert_allclose(kp[..., 0, :], np.broadcast_to([137.5 * scale, 37.5 * scale],
                                                              kp[..., 0, :].shape), atol=1e-4)
    np.testing.assert_allclose(kp[..., 1, :], np.broadcast_to([237.5 * scale, 337.5 * scale],
                                                              kp[..., 1, :].shape), atol=1e-4)
    again = prepare_clip(_clip(np.random.default_rng(8)), cfg, test_mode=True, rng=None)
    np.testing.assert_array_equal(kp, again[0])


def test_prepare_clip_without_crop_maps_the_full_frame():
    clip = _clip(np.random.default_rng(9), frames=48)  # 48 frames: every frame, in order
    cfg = VolumeConfig(crop=False, size=(48, 64))
    kp, _ = prepare_clip(clip, cfg, test_mode=True, rng=None)
    np.testing.assert_allclose(kp[0], clip["keypoint"].astype(np.float32) * [0.1, 0.1], rtol=1e-6)


def test_prepare_clip_training_is_reproducible_and_augments_each_clip():
    clip, cfg = _clip(np.random.default_rng(10)), VolumeConfig(num_clips=4)
    first = prepare_clip(clip, cfg, test_mode=False, rng=np.random.default_rng(0))
    second = prepare_clip(clip, cfg, test_mode=False, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(first[0], second[0])
    noses = first[0][:, :, :, 0]  # [clip, person, frame, xy]: one place per clip...
    np.testing.assert_allclose(noses, noses[:, :1, :1].repeat(2, 1).repeat(48, 2), atol=1e-4)
    assert len({tuple(np.round(nose, 3)) for nose in noses[:, 0, 0]}) == 4  # ...its own crop
    with pytest.raises(ValueError, match="rng"):
        prepare_clip(clip, cfg, test_mode=False, rng=None)


def test_prepare_clip_training_flip_mirrors_the_test_view():
    clip = _clip(np.random.default_rng(11), frames=48)
    # With a full-area square crop the training box is the test box; then it always flips.
    cfg = VolumeConfig(rrc_area=(1.0, 1.0), rrc_aspect=(1.0, 1.0), flip_prob=1.0)
    plain = prepare_clip(clip, cfg, test_mode=True, rng=None)
    flipped = prepare_clip(clip, cfg, test_mode=False, rng=np.random.default_rng(0))
    expected = flip_coordinates(*plain, cfg.size[1])
    np.testing.assert_allclose(flipped[0], expected[0], atol=1e-4)
    np.testing.assert_array_equal(flipped[1], expected[1])


def test_prepare_clip_fixed_stride_sampling():
    clip = _clip(np.random.default_rng(12), persons=1, frames=100)
    cfg = VolumeConfig(sampling="fixed_stride", stride=2, clip_len=8, crop=False, size=(48, 64))
    kp, _ = prepare_clip(clip, cfg, test_mode=True, rng=None)
    frames = (100 - 16 + 1) // 2 + 2 * np.arange(8)  # one window, centred: starts at 42
    np.testing.assert_allclose(kp[0, 0], clip["keypoint"][0, frames].astype(np.float32) * 0.1,
                               rtol=1e-6)


def test_prepare_clip_treats_nan_joints_as_missing():
    clip = _clip(np.random.default_rng(13), frames=48)
    clip["keypoint"][0, :, 3] = np.nan
    kp, score = prepare_clip(clip, VolumeConfig(), test_mode=True, rng=None)
    assert np.all(np.isfinite(kp)) and np.all(score[:, 0, :, 3] == 0)


@pytest.mark.parametrize("change,message", [
    (lambda c: c.update(keypoint=c["keypoint"][..., :1]), "keypoint must be"),
    (lambda c: c.update(keypoint_score=c["keypoint_score"][:1]), "keypoint_score must be"),
    (lambda c: c.update(total_frames=59), "total_frames is 59"),
    (lambda c: c["keypoint_score"].__setitem__((0, 0, 0), -1), ">= 0"),
    (lambda c: c.pop("img_shape"), "missing key 'img_shape'"),
])
def test_prepare_clip_names_the_clip_and_the_problem(change, message):
    clip = _clip(np.random.default_rng(14))
    change(clip)
    with pytest.raises(ValueError, match=message) as err:
        prepare_clip(clip, VolumeConfig(), test_mode=True, rng=None)
    assert "S001C001P001R001A001" in str(err.value)


def test_collate_pads_persons_with_zero_scores():
    cfg = VolumeConfig(num_clips=2)
    rng = np.random.default_rng(15)
    items = [prepare_clip(_clip(rng, persons=m), cfg, test_mode=True, rng=None) for m in (1, 3)]
    kp, score = collate_coordinates(items)
    assert kp.shape == (2, 2, 3, 48, NUM_JOINTS, 2) and score.shape == (2, 2, 3, 48, NUM_JOINTS)
    assert torch.all(score[0, :, 1:] == 0) and torch.all(kp[0, :, 1:] == 0)
    torch.testing.assert_close(kp[1], torch.from_numpy(items[1][0]))
    with pytest.raises(ValueError, match="differ"):
        collate_coordinates([items[0], (items[1][0][:1], items[1][1][:1])])


@pytest.mark.parametrize("modality,heatmaps", [("joint", joint_heatmaps), ("limb", limb_heatmaps),
                                               ("joint-limb", stacked_heatmaps)])
def test_render_gives_one_volume_per_clip(modality, heatmaps):
    cfg = VolumeConfig(modality=modality, num_clips=2, clip_len=4, size=(16, 16))
    items = [prepare_clip(_clip(np.random.default_rng(s)), cfg, test_mode=True, rng=None)
             for s in (16, 17)]
    kp, score = collate_coordinates(items)
    vol = render(kp, score, cfg)
    assert vol.shape == (4, cfg.channels, 4, 16, 16)
    torch.testing.assert_close(vol[3], heatmaps(kp[1, 1:], score[1, 1:], (16, 16))[0])


@pytest.mark.parametrize("modality", ["limb", "joint-limb"])
def test_volume_input_renders_every_batch_into_one_buffer(modality):
    cfg = VolumeConfig(modality=modality, clip_len=4, size=(16, 16))
    adapter, cpu = VolumeInput(cfg), torch.device("cpu")
    rng = np.random.default_rng(23)
    batches = [adapter.collate([adapter.prepare(_clip(rng), 1, True, None) for _ in range(n)])
               for n in (2, 2, 1)]
    first = adapter.to_model(batches[0], cpu)
    expected = render(*batches[0], cfg)
    torch.testing.assert_close(first, expected, rtol=0, atol=0)
    second = adapter.to_model(batches[1], cpu)
    assert second.data_ptr() == first.data_ptr()  # first is gone: overwritten
    torch.testing.assert_close(second, render(*batches[1], cfg), rtol=0, atol=0)
    last = adapter.to_model(batches[2], cpu)  # a smaller batch: a buffer of its own shape
    assert last.shape == (1, cfg.channels, 4, 16, 16)
    torch.testing.assert_close(last, render(*batches[2], cfg), rtol=0, atol=0)
    assert len(pickle.dumps(adapter)) < last.numel()  # DataLoader workers get no buffer

def test_rendered_test_volume_peaks_at_the_joints():
    clip = _clip(np.random.default_rng(18), persons=1, frames=48)
    cfg = VolumeConfig(sigma=0.6)
    kp, score = collate_coordinates([prepare_clip(clip, cfg, test_mode=True, rng=None)])
    vol = render(kp, score, cfg)[0]  # [V, T, H, W]
    flat = vol.flatten(2).argmax(-1)
    peak_y, peak_x = flat // 56, flat % 56
    torch.testing.assert_close(peak_x.float(), kp[0, 0, 0, :, :, 0].T.round(), atol=1, rtol=0)
    torch.testing.assert_close(peak_y.float(), kp[0, 0, 0, :, :, 1].T.round(), atol=1, rtol=0)


# --------------------------------------------------------------------------- config


def test_volume_config_from_yaml_dict():
    cfg = VolumeConfig.from_dict({"modality": "limb", "size": [64, 64], "rrc_area": [0.5, 1.0]})
    assert cfg.size == (64, 64) and cfg.rrc_area == (0.5, 1.0) and cfg.channels == NUM_LIMBS
    assert dataclasses.replace(cfg, num_clips=10).num_clips == 10


@pytest.mark.parametrize("data,message", [
    ({"sizes": [56, 56]}, r"unknown key\(s\) \['sizes'\]"),
    ({"modality": "bone"}, "modality"),
    ({"sampling": "fixed_stride"}, "stride"),
    ({"rrc_area": [0.5, 1.5]}, "rrc_area"),
    ({"combine": "mean"}, "combine"),
    ({"flip_prob": 2}, "flip_prob"),
])
def test_volume_config_rejects_bad_keys_and_values(data, message):
    with pytest.raises(ConfigError, match=message):
        VolumeConfig.from_dict(data)


# --------------------------------------------------------------------------- stored heatmaps


def _with_stored_heatmaps(clip: dict, size=(16, 12), frame_sigma: float = 4.0) -> dict:
    """`clip` with heatmap/heatmap_box as a top-down estimator stores them (volumes.stored).

    Each person-frame gets a box around its joints, padded, of the heatmap's aspect ratio, and
    per joint the Eq. 1 gaussian of std `frame_sigma` frame pixels at the joint, times its score.
    Person-frames without joints (all zero) get a zero box.
    """
    kp = np.asarray(clip["keypoint"], dtype=np.float64)
    score = np.asarray(clip["keypoint_score"], dtype=np.float64)
    h, w = size
    lo, hi = kp.min(axis=2), kp.max(axis=2)  # [M, T, 2]
    centre = (lo + hi) / 2
    half_h = np.maximum((hi - lo)[..., 0] * h / w, (hi - lo)[..., 1]) / 2 + 3.5 * frame_sigma
    half_w = half_h * w / h
    box = np.stack([centre[..., 0] - half_w, centre[..., 1] - half_h,
                    centre[..., 0] + half_w, centre[..., 1] + half_h], axis=-1)
    box[(hi - lo).max(axis=-1) == 0] = 0
    step_x = np.maximum(box[..., 2] - box[..., 0], 1e-9)[..., None, None] / w
    step_y = np.maximum(box[..., 3] - box[..., 1], 1e-9)[..., None, None] / h
    # Heatmap pixel j is frame x = x1 + j * step_x.
    dx = box[..., None, 0, None] + np.arange(w) * step_x - kp[..., 0, None]  # [M, T, V, w]
    dy = box[..., None, 1, None] + np.arange(h) * step_y - kp[..., 1, None]  # [M, T, V, h]
    gauss = (np.exp(-dy**2 / (2 * frame_sigma**2))[..., :, None]
             * np.exp(-dx**2 / (2 * frame_sigma**2))[..., None, :]) * score[..., None, None]
    return {**clip, "heatmap": np.round(gauss * 255).astype(np.uint8),
            "heatmap_box": box.astype(np.float32)}


def _volumes(clip: dict, cfg: VolumeConfig, *, test_mode: bool, seed: int = 0,
             device: str = "cpu"):
    """(coordinate volume, stored-heatmap volume) of one clip, from the same rng stream."""
    rngs = [None if test_mode else np.random.default_rng(seed) for _ in range(2)]
    coords = collate_coordinates([prepare_clip(clip, cfg, test_mode=test_mode, rng=rngs[0])])
    stored_cfg = dataclasses.replace(cfg, source="heatmaps")
    stored = collate_stored([prepare_stored(clip, stored_cfg, test_mode=test_mode, rng=rngs[1])])
    return (render(*(t.to(device) for t in coords), cfg).cpu(),
            render_stored(*(t.to(device) for t in stored), stored_cfg).cpu())


def _sharp_clip(seed: int, persons: int = 2, frames: int = 12) -> dict:
    """_clip with full scores: a stored gaussian is then exactly Eq. 1's."""
    clip = _clip(np.random.default_rng(seed), persons=persons, frames=frames)
    clip["keypoint"] = clip["keypoint"].astype(np.float32)
    clip["keypoint_score"] = np.ones(clip["keypoint"].shape[:-1], dtype=np.float32)
    return clip


# Gaussians of std 2 canvas pixels (over 4 stored pixels), so that bilinear sampling is exact
# to about 1% of the peak; a misplacement by half a canvas pixel would cost 15%.
SIGMA = 2.0


@pytest.mark.parametrize("device", DEVICES)
def test_stored_gaussians_give_the_coordinate_volume_at_test_time(device):
    cfg = VolumeConfig(clip_len=6, sigma=SIGMA)
    # The test box is the 375 px square around the poses: 375 / 56 frame pixels per canvas pixel.
    clip = _with_stored_heatmaps(_sharp_clip(30), (128, 96), frame_sigma=SIGMA * 375 / 56)
    coords, stored = _volumes(clip, cfg, test_mode=True, device=device)
    assert stored.shape == coords.shape == (1, NUM_JOINTS, 6, 56, 56)
    assert coords.max() > 1.5  # two persons summed on one canvas
    torch.testing.assert_close(stored, coords, atol=0.03, rtol=0)


@pytest.mark.parametrize("combine", ["sum", "max"])
def test_stored_gaussians_follow_the_random_crop_and_the_flip(combine):
    # A square crop of 0.7 the area at a random place, always flipped (left/right joints swap).
    # Square crop and canvas: a round gaussian in the frame stays round on the canvas.
    cfg = VolumeConfig(clip_len=6, num_clips=2, sigma=SIGMA, rrc_area=(0.7, 0.7),
                       rrc_aspect=(1.0, 1.0), flip_prob=1.0, combine=combine, size=(48, 48))
    side = math.sqrt(0.7) * 375  # frame pixels the canvas shows
    clip = _with_stored_heatmaps(_sharp_clip(31), (128, 96), frame_sigma=SIGMA * side / 48)
    coords, stored = _volumes(clip, cfg, test_mode=False, seed=3)
    assert stored.shape == (2, NUM_JOINTS, 6, 48, 48)
    torch.testing.assert_close(stored, coords, atol=0.03, rtol=0)
    unflipped = _volumes(clip, dataclasses.replace(cfg, flip_prob=0.0), test_mode=False, seed=3)
    torch.testing.assert_close(stored, flip_volume(unflipped[1], "joint"), atol=1e-5, rtol=0)


def test_persons_without_box_or_scores_add_nothing():
    cfg = VolumeConfig(clip_len=6, size=(24, 24), source="heatmaps")
    clip = _with_stored_heatmaps(_sharp_clip(32, persons=3))

    def volume(c: dict) -> torch.Tensor:
        return render_stored(*collate_stored([prepare_stored(c, cfg, test_mode=True, rng=None)]),
                             cfg)

    blank = {**clip, "heatmap": clip["heatmap"].copy()}
    blank["heatmap"][1:] = 0  # only person 0 drawn; the crop box is the same
    no_box, no_score = clip["heatmap_box"].copy(), clip["keypoint_score"].copy()
    no_box[1], no_score[2] = 0, 0  # person 1: no box; person 2: nothing found
    vol = volume({**clip, "heatmap_box": no_box, "keypoint_score": no_score})
    assert vol.sum() > 0
    torch.testing.assert_close(vol, volume(blank), rtol=0, atol=0)
    assert torch.count_nonzero(volume({**clip, "heatmap_box": np.zeros_like(no_box)})) == 0


def test_collate_stored_pads_persons_that_render_nothing():
    cfg = VolumeConfig(clip_len=4, size=(16, 16), num_clips=2, source="heatmaps")
    items = [prepare_stored(_with_stored_heatmaps(_sharp_clip(s, persons=m)), cfg,
                            test_mode=True, rng=None) for s, m in ((33, 1), (34, 3))]
    heatmap, warp = collate_stored(items)
    assert heatmap.dtype == torch.uint8 and heatmap.shape == (2, 2, 3, 4, NUM_JOINTS, 16, 12)
    assert warp.shape == (2, 2, 3, 4, 4) and torch.count_nonzero(heatmap[0, :, 1:]) == 0
    vol = render_stored(heatmap, warp, cfg)
    alone = render_stored(*collate_stored(items[:1]), cfg)
    torch.testing.assert_close(vol[:2], alone, rtol=0, atol=0)
    with pytest.raises(ValueError, match="differ"):
        collate_stored([items[0], (items[1][0][..., :8], items[1][1])])


def test_volume_input_renders_stored_heatmaps_into_one_buffer():
    cfg = VolumeConfig(clip_len=4, size=(16, 16), source="heatmaps")
    adapter, cpu = VolumeInput(cfg), torch.device("cpu")
    batches = [adapter.collate([adapter.prepare(_with_stored_heatmaps(_sharp_clip(s)), 1, False,
                                                np.random.default_rng(s)) for s in seeds])
               for seeds in ((35, 36), (37, 38))]
    first = adapter.to_model(batches[0], cpu)
    torch.testing.assert_close(first, render_stored(*batches[0], cfg), rtol=0, atol=0)
    second = adapter.to_model(batches[1], cpu)
    assert second.data_ptr() == first.data_ptr()
    torch.testing.assert_close(second, render_stored(*batches[1], cfg), rtol=0, atol=0)
    assert second.shape == (2, NUM_JOINTS, 4, 16, 16) and 0 < second.max() <= 2


@pytest.mark.parametrize("change,message", [
    (lambda c: c.pop("heatmap"), r"posec3d extract --heatmaps.*missing \['heatmap'\]"),
    (lambda c: c.pop("heatmap_box"), r"missing \['heatmap_box'\]"),
    (lambda c: c.update(heatmap=c["heatmap"].astype(np.float32)), "heatmap must be uint8"),
    (lambda c: c.update(heatmap=c["heatmap"][:, :5]), r"heatmap must be uint8 \[M, T, 17"),
    (lambda c: c.update(heatmap_box=c["heatmap_box"][..., :2]), "heatmap_box must be"),
    (lambda c: c["heatmap_box"].__setitem__((0, 0, 0), np.nan), "finite"),
])
def test_prepare_stored_names_the_clip_and_the_problem(change, message):
    clip = _with_stored_heatmaps(_sharp_clip(39))
    change(clip)
    with pytest.raises(ValueError, match=message) as err:
        prepare_stored(clip, VolumeConfig(source="heatmaps"), test_mode=True, rng=None)
    assert "S001C001P001R001A001" in str(err.value)


def test_each_path_refuses_the_other_source():
    clip = _with_stored_heatmaps(_sharp_clip(40))
    with pytest.raises(ValueError, match="prepare_stored"):
        prepare_clip(clip, VolumeConfig(source="heatmaps"), test_mode=True, rng=None)
    with pytest.raises(ValueError, match="source 'heatmaps'"):
        prepare_stored(clip, VolumeConfig(), test_mode=True, rng=None)


@pytest.mark.parametrize("data,message", [
    ({"source": "heatmap"}, "source must be 'coordinates' or 'heatmaps'"),
    ({"source": "heatmaps", "modality": "limb"}, "modality must be 'joint'"),
])
def test_volume_config_checks_the_source(data, message):
    with pytest.raises(ConfigError, match=message):
        VolumeConfig.from_dict(data)
    assert VolumeConfig.from_dict({"source": "heatmaps"}).source == "heatmaps"


def test_pose_slowonly_trains_and_tests_on_stored_heatmaps(tiny_gym: Path, tmp_path: Path):
    from posec3d.config import load_run_config
    from posec3d.engine.tester import test as run_test
    from posec3d.engine.trainer import train
    from posec3d.storage import load_poses, save_poses

    poses = load_poses(tiny_gym)
    poses["annotations"] = [_with_stored_heatmaps(clip) for clip in poses["annotations"]]
    path = tmp_path / "heatmaps.npz"
    save_poses(poses, path)
    run = {"model": {"base_channels": 4, "stage_blocks": [1, 1, 1]},
           "input": {"clip_len": 8, "size": [16, 16], "source": "heatmaps"},
           "train": {"epochs": 1, "batch_size": 8, "num_workers": 0},
           "test": {"num_clips": 2, "batch_size": 8},
           "data": {"train_split": "train", "val_split": "val"}}
    recipe = Path(__file__).resolve().parents[1] / "params" / "recipes" / "pose-slowonly.yaml"
    cfg = load_run_config([str(recipe), json.dumps(run)])
    history = train(cfg, path, tmp_path / "run")
    assert len(history) == 1 and math.isfinite(history[0]["loss"])
    scores, metrics = run_test(tmp_path / "run" / "model.pt", path, num_workers=0)
    assert np.isfinite(scores.scores).all() and metrics["num_clips"] == 2
    with pytest.raises(ValueError, match="posec3d extract --heatmaps"):
        run_test(tmp_path / "run" / "model.pt", tiny_gym, num_workers=0)
