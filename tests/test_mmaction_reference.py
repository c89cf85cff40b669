"""mmaction2 1.2.0 as the oracle: its pose transforms and metric against posec3d's own.

GeneratePoseTarget (heatmaps), UniformSampleFrames (frame sampling), PoseCompact (the
subject-centred box) and mean_class_accuracy get the same inputs as posec3d.volumes and
posec3d.engine.metrics, and the outputs are compared at a stated tolerance. Where posec3d
differs on purpose, the test names the difference and asserts it, bounded:

- GeneratePoseTarget draws each gaussian only inside a window of 3 sigma around the joint
  (around the limb's bounding box for limbs); Eq. 1 and 2 have no cut-off. Inside its windows
  mmaction2 must agree with us to float32 precision; outside them it is 0 and we are below
  exp(-4.5) = 1.1% of the score (a pixel is left out only when it lies more than 3 sigma away
  along x or y).
- It combines persons by their maximum, always (there is no argument for it); the paper sums
  them ("directly accumulate"), our default. `combine="max"` is mmaction2's.
- It skips joints and limbs whose score is below 1e-4; Eq. 1 and 2 draw them.
- It draws a limb shorter than one pixel as the first joint's gaussian, weighted by that
  joint's score alone; we keep Eq. 2 (the segment's gaussian, weighted by the lower score).
- Test-mode UniformSampleFrames reseeds numpy's global generator and draws the frames; we
  follow pyskl, which also draws a crop ratio before each clip, from a private generator.
- PoseCompact rounds the box to whole pixels (int(), towards zero); our box stays real-valued.
  The project implements only hw_ratio=1 and allow_imgpad=True (PoseC3D's configuration).

Tolerances (absolute; both sides compute in float32, values are at most 1, an ulp of 1 is
1.2e-7): joints 1e-6, where each side is within 1e-7 of Eq. 1 in float64; limbs 1e-5, where
each side is within 2e-6 (20 px canvas) to 4e-6 (56 px) of Eq. 2 in float64: both lose about
float32 eps times the limb's extent in the distance to the segment, mmaction2 in its
projection onto the limb, we in the limb's frame.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
import torch

from posec3d.engine.metrics import accuracy_metrics
from posec3d.skeleton import LIMBS, NUM_JOINTS
from posec3d.volumes import VolumeConfig, collate_coordinates, flip_volume, prepare_clip, render, uniform_indices
from posec3d.volumes.heatmaps import joint_heatmaps, limb_heatmaps
from posec3d.volumes.transforms import Box, subject_box
from tests.reference_heatmaps import reference_limb_heatmaps

mmaction_transforms = pytest.importorskip("mmaction.datasets.transforms")
mmaction_accuracy = pytest.importorskip("mmaction.evaluation.functional.accuracy")
GeneratePoseTarget = mmaction_transforms.GeneratePoseTarget
PoseCompact = mmaction_transforms.PoseCompact
PoseDecode = mmaction_transforms.PoseDecode
Resize = mmaction_transforms.Resize
UniformSampleFrames = mmaction_transforms.UniformSampleFrames

SIZE = (20, 24)  # (H, W): small and not square, so that x and y cannot be mixed up
ATOL = {"joint": 1e-6, "limb": 1e-5}  # float32, values <= 1 (see the module docstring)
TAIL = math.exp(-4.5)  # the largest value GeneratePoseTarget's 3-sigma window leaves out, per unit score
RENDER = {"joint": joint_heatmaps, "limb": limb_heatmaps}


# --------------------------------------------------------------------------- heatmaps


def _poses(rng: np.random.Generator, n: int, m: int, t: int, size: tuple[int, int] = SIZE):
    """Random coordinates, some off the canvas, and scores in [1e-3, 1] with a few exact zeros.

    No limb is shorter than one pixel and no score is in (0, 1e-4): mmaction2 treats those
    specially, and the tests below take them one at a time.
    """
    h, w = size
    kp = np.stack([rng.uniform(-3, w + 3, (n, m, t, NUM_JOINTS)),
                   rng.uniform(-3, h + 3, (n, m, t, NUM_JOINTS))], axis=-1).astype(np.float32)
    def shortest() -> float:
        return min(float(np.linalg.norm(kp[..., j, :] - kp[..., i, :], axis=-1).min()) for i, j in LIMBS)

    for _ in range(10):  # move the second joint of every short limb 2 px to the right of the first
        for i, j in LIMBS:
            short = np.linalg.norm(kp[..., j, :] - kp[..., i, :], axis=-1) < 1.5
            kp[..., j, 0] = np.where(short, kp[..., i, 0] + 2.0, kp[..., j, 0])
    assert shortest() >= 1.5
    score = rng.uniform(1e-3, 1, (n, m, t, NUM_JOINTS)).astype(np.float32)
    score[rng.uniform(size=score.shape) < 0.1] = 0.0
    return kp, score


def _mmaction(kp: np.ndarray, score: np.ndarray, modality: str, size: tuple[int, int] = SIZE,
              **options) -> np.ndarray:
    """mmaction2's GeneratePoseTarget on each clip of kp [N, M, T, V, 2], as [N, C, T, H, W]."""
    target = GeneratePoseTarget(with_kp=modality == "joint", with_limb=modality == "limb", **options)
    volumes = [target.transform({"keypoint": kp[i], "keypoint_score": score[i], "img_shape": size})["imgs"]
               for i in range(len(kp))]
    return np.stack(volumes).transpose(0, 2, 1, 3, 4)  # it gives [T, C, H, W]


def _ours(kp: np.ndarray, score: np.ndarray, modality: str, size: tuple[int, int] = SIZE,
          **options) -> np.ndarray:
    return RENDER[modality](torch.from_numpy(kp), torch.from_numpy(score), size, **options).numpy()


def test_limbs_are_mmaction2s_skeleton():
    assert tuple(LIMBS) == GeneratePoseTarget().skeletons


@pytest.mark.parametrize("modality", ["joint", "limb"])
@pytest.mark.parametrize("persons", [1, 2])
@pytest.mark.parametrize("sigma", [0.6, 1.5])
def test_heatmaps_equal_generate_pose_target_inside_its_windows(modality, persons, sigma):
    """combine="max" is mmaction2's: equal wherever it draws, and only its 3-sigma tails apart elsewhere."""
    kp, score = _poses(np.random.default_rng(persons + 10 * (modality == "limb")), 3, persons, 4)
    theirs = _mmaction(kp, score, modality, sigma=sigma)
    ours = _ours(kp, score, modality, sigma=sigma, combine="max")
    assert theirs.dtype == ours.dtype == np.float32 and theirs.shape == ours.shape
    # Each person's window: where mmaction2 draws that person alone (> 0 inside, for scores >= 1e-3).
    alone = [(_ours(kp[:, [p]], score[:, [p]], modality, sigma=sigma),
              _mmaction(kp[:, [p]], score[:, [p]], modality, sigma=sigma) > 0) for p in range(persons)]
    np.testing.assert_allclose(np.max([o * window for o, window in alone], axis=0), theirs, atol=ATOL[modality], rtol=0)
    # Outside the windows: our tails, never more than exp(-4.5) times the highest score.
    tails = ours - theirs
    assert tails.min() >= -ATOL[modality] and tails.max() <= TAIL * score.max() + ATOL[modality]
    assert tails.max() > 1e-3  # the cut-off is real: there are tails to compare
    assert theirs.max() > 0.5  # and the comparison is not between blank canvases


def test_stacked_volumes_are_joints_then_limbs_where_generate_pose_target_overlays_them():
    """J (+) L (modality joint-limb): ours stacks our joint maps, then our limb maps, each exactly
    our single-modality volume. mmaction2 asked for both (with_kp and with_limb, as pyskl's code)
    sizes its output for both but draws each limb into the joint channel of the limb's index
    (`arr[i]`), over that joint's map, and leaves the limb channels empty: not a reference here."""
    kp, score = _poses(np.random.default_rng(8), 3, 2, 4)
    cfg = VolumeConfig(modality="joint-limb", size=SIZE)
    ours = render(torch.from_numpy(kp)[:, None], torch.from_numpy(score)[:, None], cfg).numpy()
    assert ours.shape[1] == cfg.channels == NUM_JOINTS + len(LIMBS)
    np.testing.assert_array_equal(ours, np.concatenate([_ours(kp, score, m) for m in ("joint", "limb")], axis=1))
    both = GeneratePoseTarget(with_kp=True, with_limb=True)
    theirs = np.stack([both.transform({"keypoint": kp[i], "keypoint_score": score[i], "img_shape": SIZE})["imgs"]
                       for i in range(len(kp))]).transpose(0, 2, 1, 3, 4)
    assert theirs.shape == ours.shape and not theirs[:, NUM_JOINTS:].any()
    overlaid = np.maximum(_mmaction(kp, score, "joint"), _mmaction(kp, score, "limb"))
    np.testing.assert_array_equal(theirs[:, :NUM_JOINTS], overlaid)


@pytest.mark.parametrize("modality", ["joint", "limb"])
def test_persons_are_summed_where_mmaction2_takes_their_maximum(modality):
    """The paper's sum (our default) is the sum of mmaction2's one-person maps, up to their tails."""
    kp, score = _poses(np.random.default_rng(3), 3, 2, 4)
    kp[:, 1] = kp[:, 0] + np.float32(0.7)  # two persons overlapping everywhere
    persons = [_mmaction(kp[:, [p]], score[:, [p]], modality) for p in range(2)]
    ours = _ours(kp, score, modality)  # combine="sum"
    gap = ours - (persons[0] + persons[1])
    assert gap.min() >= -2 * ATOL[modality] and gap.max() <= 2 * TAIL * score.max() + 2 * ATOL[modality]
    theirs = _mmaction(kp, score, modality)  # always the maximum
    np.testing.assert_allclose(theirs, np.maximum(*persons), atol=0, rtol=0)
    assert (ours - theirs).max() > 0.3  # where both persons are bright, the sum is far above the max


@pytest.mark.parametrize("modality", ["joint", "limb"])
def test_use_score_false_is_rendering_unit_scores(modality):
    kp, score = _poses(np.random.default_rng(4), 2, 2, 3)
    theirs = _mmaction(kp, score, modality, use_score=False)
    ones = np.ones_like(score)
    windows = [_mmaction(kp[:, [p]], ones[:, [p]], modality) > 0 for p in range(2)]
    ours = [_ours(kp[:, [p]], ones[:, [p]], modality) * windows[p] for p in range(2)]
    np.testing.assert_allclose(np.maximum(*ours), theirs, atol=ATOL[modality], rtol=0)
    assert theirs.max() > 0.99  # unit peaks


@pytest.mark.parametrize("modality", ["joint", "limb"])
def test_flip_volume_is_mmaction2s_double_flip(modality):
    """GeneratePoseTarget(double=True) appends the mirrored volume: our channel swaps must be its."""
    kp, score = _poses(np.random.default_rng(5), 1, 2, 3)
    double = GeneratePoseTarget(with_kp=modality == "joint", with_limb=modality == "limb", double=True)
    both = double.transform({"keypoint": kp[0], "keypoint_score": score[0], "img_shape": SIZE})["imgs"]
    plain, mirrored = np.split(both.transpose(1, 0, 2, 3)[None], 2, axis=2)  # [1, C, T, H, W] each
    np.testing.assert_array_equal(flip_volume(torch.from_numpy(plain.copy()), modality).numpy(), mirrored)


def test_scores_below_1e4_are_drawn_where_mmaction2_skips_them():
    kp = np.full((1, 1, 1, NUM_JOINTS, 2), 10.0, dtype=np.float32)
    kp[..., 1, :] = (14.0, 10.0)  # limb (0, 1): 4 px long
    score = np.full((1, 1, 1, NUM_JOINTS), 5e-5, dtype=np.float32)
    for modality in ("joint", "limb"):
        assert np.count_nonzero(_mmaction(kp, score, modality)) == 0
        ours = _ours(kp, score, modality)
        np.testing.assert_allclose(ours.max(), 5e-5, rtol=1e-5)  # a joint sits on a pixel centre


def test_a_limb_shorter_than_a_pixel_stays_eq2_where_mmaction2_draws_its_first_joint():
    kp = np.zeros((1, 1, 1, NUM_JOINTS, 2), dtype=np.float32)
    kp[..., 5, :], kp[..., 7, :] = (10.0, 8.0), (10.6, 8.3)  # limb (5, 7): 0.67 px
    score = np.zeros((1, 1, 1, NUM_JOINTS), dtype=np.float32)
    score[..., 5], score[..., 7] = 0.9, 0.4
    limb = LIMBS.index((5, 7))
    theirs = _mmaction(kp, score, "limb")[0, limb, 0]
    # mmaction2: the gaussian of joint 5 alone, with its score 0.9, as its joint heatmap draws it.
    joint = _mmaction(kp, score, "joint")[0, 5, 0]
    np.testing.assert_allclose(theirs, joint, atol=0, rtol=0)
    assert theirs.max() == pytest.approx(0.9, rel=1e-6)
    # Ours: Eq. 2, the segment's gaussian at the lower score (tests/reference_heatmaps.py, float64).
    eq2 = reference_limb_heatmaps(kp, score, SIZE)[0, limb, 0]
    np.testing.assert_allclose(_ours(kp, score, "limb")[0, limb, 0], eq2, atol=ATOL["limb"], rtol=0)
    assert eq2.max() == pytest.approx(0.4, rel=1e-6)


# --------------------------------------------------------------------------- sampling


def _mmaction_indices(total_frames: int, clip_len: int, num_clips: int, test_mode: bool,
                      seed: int = 255) -> np.ndarray:
    sampler = UniformSampleFrames(clip_len=clip_len, num_clips=num_clips, test_mode=test_mode, seed=seed)
    inds = sampler.transform({"total_frames": total_frames, "start_index": 0})["frame_inds"]
    return inds.reshape(num_clips, clip_len)


@pytest.fixture
def global_numpy_state():
    """mmaction2 draws from (and reseeds) numpy's global generator: put it back afterwards."""
    state = np.random.get_state()
    yield
    np.random.set_state(state)


@pytest.mark.parametrize("total_frames,num_clips", [(10, 1), (10, 3), (10, 12), (30, 4)])
def test_short_videos_give_mmaction2s_test_clips(total_frames, num_clips, global_numpy_state):
    """Fewer frames than clip_len: no random draw, the clips start where mmaction2's do."""
    ours = uniform_indices(total_frames, 48, num_clips, test_mode=True)
    np.testing.assert_array_equal(ours, _mmaction_indices(total_frames, 48, num_clips, test_mode=True))


@pytest.mark.parametrize("total_frames", [48, 70, 95, 96, 500])
@pytest.mark.parametrize("seed", [255, 7])
def test_test_clips_are_mmaction2s_draws_after_pyskls_crop_ratio(total_frames, seed, global_numpy_state):
    """mmaction2's own per-clip draw code, fed pyskl's test stream: a crop ratio drawn before each clip.

    Its test mode reseeds the global generator with `seed` and draws the clips, without
    the crop ratio: that, and only that, is where our test clips differ from its.
    """
    clip_len, num_clips = 48, 5
    np.random.seed(seed)
    pyskl = []
    for _ in range(num_clips):
        np.random.random_sample()  # pyskl's p_interval ratio, unused at p_interval=1
        pyskl.append(_mmaction_indices(total_frames, clip_len, 1, test_mode=False)[0])
    ours = uniform_indices(total_frames, clip_len, num_clips, test_mode=True, test_seed=seed)
    np.testing.assert_array_equal(ours, np.stack(pyskl))
    np.random.seed(seed)
    plain = np.concatenate([_mmaction_indices(total_frames, clip_len, 1, test_mode=False)[0]
                            for _ in range(num_clips)]).reshape(num_clips, clip_len)
    theirs = _mmaction_indices(total_frames, clip_len, num_clips, test_mode=True, seed=seed)
    np.testing.assert_array_equal(theirs, plain)
    if total_frames > clip_len:  # 48 frames: a single possible clip, no draw matters
        assert not np.array_equal(ours, theirs)


@pytest.mark.parametrize("total_frames", [10, 70, 500])
def test_training_clips_follow_mmaction2s_distribution(total_frames, global_numpy_state):
    """Different generators (numpy Generator vs the legacy global one): compare distributions.

    4000 clips from each; the (position in clip, frame) pairs are tallied and compared by a
    chi-square test of homogeneity (pairs seen under 10 times in both together are pooled).
    Both samplers are seeded, so the p-value is a fixed number, not a flaky one.
    """
    clip_len, num_clips = 48, 4000
    ours = uniform_indices(total_frames, clip_len, num_clips, test_mode=False, rng=np.random.default_rng(0))
    np.random.seed(0)
    theirs = _mmaction_indices(total_frames, clip_len, num_clips, test_mode=False)
    assert ours.shape == theirs.shape
    if total_frames < clip_len:  # consecutive frames from a random start, looping
        for clips in (ours, theirs):
            np.testing.assert_array_equal(clips, (clips[:, :1] + np.arange(clip_len)) % total_frames)
    else:
        for clips in (ours, theirs):
            assert np.all(np.diff(clips, axis=1) > 0)
    pairs = np.arange(clip_len) * total_frames  # (position, frame) as one number
    counts = [np.bincount((pairs + clips).ravel(), minlength=clip_len * total_frames) for clips in (ours, theirs)]
    table = np.stack(counts)
    frequent = table.sum(axis=0) >= 10
    table = np.concatenate([table[:, frequent], table[:, ~frequent].sum(axis=1, keepdims=True)], axis=1)
    table = table[:, table.sum(axis=0) > 0]
    assert scipy.stats.chi2_contingency(table).pvalue > 1e-3


# --------------------------------------------------------------------------- PoseCompact


@pytest.fixture
def numpy_inf():
    """mmaction2 1.2.0's PoseCompact uses np.Inf, which numpy 2 removed: give it back for these tests.

    A compatibility alias (np.Inf is np.inf), not a stand-in: PoseCompact's code runs as written.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(np, "Inf", np.inf, raising=False)
        yield


def _pose_compact(kp: np.ndarray, img_shape: tuple[int, int], **options) -> tuple[int, int, int, int] | None:
    """mmaction2's PoseCompact box (x0, y0, x1, y1) on keypoint [M, T, V, 2], or None if it kept the frame."""
    h, w = img_shape
    out = PoseCompact(**options).transform({"keypoint": kp.copy(), "img_shape": img_shape})
    if "crop_quadruple" not in out:
        assert tuple(out["img_shape"]) == img_shape
        return None
    qx, qy, qw, qh = out["crop_quadruple"]
    x0, y0 = round(qx * w), round(qy * h)
    new_h, new_w = out["img_shape"]
    return x0, y0, x0 + new_w, y0 + new_h


def _truncated(box: Box) -> tuple[int, int, int, int]:
    return int(box.x0), int(box.y0), int(box.x1), int(box.y1)


def _random_pose(rng: np.random.Generator, img_shape: tuple[int, int]) -> np.ndarray:
    """Two persons in a random part of the frame, float64 (as mmaction2 then computes in float64
    too, the two boxes are the same numbers), with missing joints: (0, 0), and x or y alone 0."""
    h, w = img_shape
    x0, y0 = rng.uniform(0, w * 0.8), rng.uniform(0, h * 0.8)
    kp = np.stack([rng.uniform(x0, x0 + rng.uniform(15, w - x0), (2, 6, NUM_JOINTS)),
                   rng.uniform(y0, y0 + rng.uniform(15, h - y0), (2, 6, NUM_JOINTS))], axis=-1)
    kp[rng.uniform(size=kp.shape[:-1]) < 0.1] = 0.0
    kp[..., 0][rng.uniform(size=kp.shape[:-1]) < 0.05] = 0.0
    kp[..., 1][rng.uniform(size=kp.shape[:-1]) < 0.05] = 0.0
    return kp


@pytest.mark.usefixtures("numpy_inf")
@pytest.mark.parametrize("padding", [0.0, 0.25, 0.5])
@pytest.mark.parametrize("hw_ratio", [1.0, (1.0, 1.0)])
def test_subject_box_is_pose_compacts_square_box_unrounded(padding, hw_ratio):
    rng, img_shape = np.random.default_rng(int(padding * 100)), (480, 640)
    for _ in range(30):
        kp = _random_pose(rng, img_shape)
        ours = subject_box(kp, img_shape, padding=padding, threshold=10.0)
        theirs = _pose_compact(kp, img_shape, padding=padding, threshold=10, hw_ratio=hw_ratio, allow_imgpad=True)
        assert theirs == _truncated(ours)  # mmaction2 rounds towards zero; we keep the real box
        assert math.isclose(ours.width, ours.height)


@pytest.mark.usefixtures("numpy_inf")
@pytest.mark.parametrize("extent,cropped", [(9.5, False), (10.0, True), (10.5, True)])
@pytest.mark.parametrize("axis", [0, 1])
def test_the_threshold_keeps_the_frame_as_pose_compact_does(extent, cropped, axis):
    img_shape = (480, 640)
    kp = np.random.default_rng(6).uniform(100, 300, (1, 4, NUM_JOINTS, 2))
    kp[..., axis] = np.linspace(200, 200 + extent, NUM_JOINTS)  # this axis spans `extent` pixels
    theirs = _pose_compact(kp, img_shape, threshold=10, hw_ratio=1.0)
    ours = subject_box(kp, img_shape, threshold=10.0)
    assert (theirs is not None) == cropped
    if cropped:
        assert theirs == _truncated(ours)
    else:
        assert ours == Box(0.0, 0.0, 640.0, 480.0)
    no_joints = np.zeros((1, 4, NUM_JOINTS, 2))
    assert _pose_compact(no_joints, img_shape, hw_ratio=1.0) is None
    assert subject_box(no_joints, img_shape) == Box(0.0, 0.0, 640.0, 480.0)
@pytest.mark.usefixtures("numpy_inf")
def test_only_hw_ratio_1_with_image_padding_is_implemented():
    """Our box is always PoseCompact(hw_ratio=1, allow_imgpad=True)'s; the other settings, as they differ."""
    kp = np.zeros((1, 2, NUM_JOINTS, 2))
    kp[0, :, :, 0] = np.linspace(5.0, 105.0, NUM_JOINTS)  # 100 px wide, near the left edge
    kp[0, :, :, 1] = np.linspace(200.0, 240.0, NUM_JOINTS)  # 40 px high
    img_shape = (480, 640)
    ours = subject_box(kp, img_shape)  # x 55 -/+ 62.5, y 220 -/+ 62.5
    assert ours == Box(-7.5, 157.5, 117.5, 282.5)
    # hw_ratio=None (mmaction2's default): the padded box, not made square.
    assert _pose_compact(kp, img_shape) == (-7, 195, 117, 245)
    # allow_imgpad=False: the square box cut at the frame's edge.
    cut = _pose_compact(kp, img_shape, hw_ratio=1.0, allow_imgpad=False)
    assert cut == (int(max(0.0, ours.x0)), int(ours.y0), int(ours.x1), int(ours.y1)) == (0, 157, 117, 282)
@pytest.mark.usefixtures("numpy_inf")
def test_test_clip_coordinates_and_volume_are_mmaction2s_pipeline():
    """prepare_clip + render vs UniformSampleFrames, PoseDecode, PoseCompact, Resize, GeneratePoseTarget.

    A video shorter than the clip (test clips then need no random draw, and every frame is
    sampled, so PoseCompact's box over the sampled frames is ours over the video), with the
    tight box x 100..180, y 120..280: the padded square is x 40..240, y 100..300, whole
    pixels, so mmaction2's rounding changes nothing. One person, combine="max".
    """
    rng = np.random.default_rng(7)
    frames, clip_len, num_clips = 30, 48, 2
    kp = np.stack([rng.uniform(100, 180, (1, frames, NUM_JOINTS)),
                   rng.uniform(120, 280, (1, frames, NUM_JOINTS))], axis=-1).astype(np.float32)
    kp[0, 0, 0], kp[0, 1, 1] = (100, 120), (180, 280)
    score = rng.uniform(0.2, 1, (1, frames, NUM_JOINTS)).astype(np.float32)
    clip = {"frame_dir": "c", "img_shape": (480, 640), "total_frames": frames, "keypoint": kp,
            "keypoint_score": score}
    cfg = VolumeConfig(clip_len=clip_len, num_clips=num_clips, combine="max")
    ours_kp, ours_score = prepare_clip(clip, cfg, test_mode=True, rng=None)
    ours = render(*collate_coordinates([(ours_kp, ours_score)]), cfg).numpy()

    results = {**clip, "keypoint": kp.copy(), "keypoint_score": score.copy(), "start_index": 0}
    for transform in (UniformSampleFrames(clip_len=clip_len, num_clips=num_clips, test_mode=True), PoseDecode(),
                      PoseCompact(hw_ratio=1.0, allow_imgpad=True), Resize(scale=(56, 56), keep_ratio=False)):
        results = transform.transform(results)
    assert tuple(results["img_shape"]) == (56, 56)
    theirs_kp = results["keypoint"].reshape(1, num_clips, clip_len, NUM_JOINTS, 2).transpose(1, 0, 2, 3, 4)
    np.testing.assert_allclose(ours_kp, theirs_kp, atol=1e-4, rtol=0)
    heatmaps = GeneratePoseTarget().transform(results)["imgs"]  # [num_clips * clip_len, V, 56, 56]
    theirs = heatmaps.reshape(num_clips, clip_len, NUM_JOINTS, 56, 56).transpose(0, 2, 1, 3, 4)
    inside = theirs > 0
    np.testing.assert_allclose(ours[inside], theirs[inside], atol=ATOL["joint"], rtol=0)
    assert np.all(ours[~inside] <= TAIL + ATOL["joint"]) and ours.max() > 0.5


# --------------------------------------------------------------------------- metrics


def _scores(rng: np.random.Generator, n: int, num_classes: int, predicted: list[int]) -> np.ndarray:
    """Class scores [n, num_classes] whose argmax is `predicted` (one-hot plus small noise)."""
    return np.eye(num_classes)[predicted] + rng.uniform(0, 0.1, (n, num_classes))


def test_mean_class_top1_is_mmaction2s_mean_class_accuracy():
    rng = np.random.default_rng(8)
    for _ in range(20):
        n, num_classes = int(rng.integers(5, 40)), int(rng.integers(2, 9))
        labels = rng.integers(0, num_classes, n)
        scores = _scores(rng, n, num_classes, list(rng.integers(0, num_classes, n)))
        expected = 100 * mmaction_accuracy.mean_class_accuracy(scores, labels)
        np.testing.assert_allclose(accuracy_metrics(scores, labels)["mean_class_top1"], expected, rtol=1e-12)


def test_a_class_predicted_but_absent_from_the_labels_counts_as_zero():
    """mmaction2 averages over the classes in the labels or the predictions; a predicted class
    with no test clip counts 0. On a full test set (every class has clips) this is the plain
    mean over classes; on a subset it is lower."""
    labels = np.array([0, 0, 1, 1])
    scores = _scores(np.random.default_rng(9), 4, 4, [0, 0, 1, 3])  # class 3 predicted, never a label
    metrics = accuracy_metrics(scores, labels, num_classes=4)
    expected = 100 * mmaction_accuracy.mean_class_accuracy(scores, labels)
    assert metrics["mean_class_top1"] == pytest.approx(expected) == pytest.approx((100 + 50 + 0) / 3)
    assert metrics["per_class_top1"] == [100.0, 50.0, None, None]  # no test clip: no accuracy of its own
