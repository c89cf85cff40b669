"""Table 5's keypoint drop: which joints, how often, the same drops for every model, both inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from posec3d.coordinates import CoordinateConfig
from posec3d.data import ClipDataset, CoordinateInput, VolumeInput
from posec3d.keypoint_drop import LIMB_KEYPOINTS, drop_keypoints, drop_mask
from posec3d.seeding import named_rng
from posec3d.skeleton import JOINTS
from posec3d.storage import load_pickle_restricted
from posec3d.volumes.pipeline import VolumeConfig
from tests.sample_data import MINI_UCF101


@pytest.fixture(scope="module")
def clips() -> list[dict]:
    """Six real UCF101 clips with HRNet 2D poses (one person each)."""
    return load_pickle_restricted(MINI_UCF101)["annotations"]


def test_limb_keypoints_are_the_elbows_wrists_knees_and_ankles() -> None:
    names = {JOINTS[j] for j in LIMB_KEYPOINTS}
    assert names == {f"{side}_{part}" for side in ("left", "right")
                     for part in ("elbow", "wrist", "knee", "ankle")}
    assert len(LIMB_KEYPOINTS) == 8


@pytest.mark.parametrize("p", [1 / 8, 1 / 4, 1 / 2])
def test_a_frame_loses_one_limb_keypoint_with_probability_p(p: float) -> None:
    persons, frames = 2, 20_000
    mask = drop_mask(persons, frames, p, np.random.default_rng(0))
    per_frame = mask.sum(axis=-1)
    assert per_frame.max() == 1  # at most one keypoint per person-frame
    assert not mask[..., [j for j in range(len(JOINTS)) if j not in LIMB_KEYPOINTS]].any()
    # how often: an exact binomial test of the number of person-frames that lost one
    n, k = persons * frames, int(per_frame.sum())
    assert stats.binomtest(k, n, p).pvalue > 1e-3
    # which: uniform over the eight limb keypoints (chi-square)
    counts = mask.reshape(-1, len(JOINTS))[:, list(LIMB_KEYPOINTS)].sum(axis=0)
    assert stats.chisquare(counts).pvalue > 1e-3


def test_p_zero_drops_nothing_and_p_one_drops_one_keypoint_in_every_frame() -> None:
    assert not drop_mask(1, 500, 0.0, np.random.default_rng(1)).any()
    assert (drop_mask(1, 500, 1.0, np.random.default_rng(1)).sum(axis=-1) == 1).all()
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        drop_mask(1, 5, 1.5, np.random.default_rng(1))


def test_drops_at_a_smaller_p_are_a_subset_of_those_at_a_larger_p() -> None:
    masks = [drop_mask(1, 4000, p, np.random.default_rng(2)) for p in (1 / 8, 1 / 4, 1 / 2, 1)]
    for smaller, larger in zip(masks, masks[1:]):
        assert not (smaller & ~larger).any()
        assert larger.sum() > smaller.sum()


def test_dropped_keypoints_are_zeroed_and_the_rest_kept(clips: list[dict]) -> None:
    clip = clips[0]
    before = {k: np.copy(clip[k]) for k in ("keypoint", "keypoint_score")}
    out = drop_keypoints(clip, 0.5, np.random.default_rng(3))
    mask = drop_mask(*clip["keypoint_score"].shape[:2], 0.5, np.random.default_rng(3))
    assert mask.any()
    assert (out["keypoint"][mask] == 0).all() and (out["keypoint_score"][mask] == 0).all()
    np.testing.assert_array_equal(out["keypoint"][~mask], clip["keypoint"][~mask])
    np.testing.assert_array_equal(out["keypoint_score"][~mask], clip["keypoint_score"][~mask])
    for key, value in before.items():  # the clip itself is untouched
        np.testing.assert_array_equal(clip[key], value)
    assert out["keypoint"].dtype == clip["keypoint"].dtype


def test_stored_heatmaps_lose_the_same_joints() -> None:
    rng = np.random.default_rng(4)
    clip = {"frame_dir": "c", "keypoint": rng.uniform(1, 50, (1, 30, 17, 2)).astype(np.float32),
            "keypoint_score": np.ones((1, 30, 17), np.float32),
            "heatmap": rng.integers(1, 255, (1, 30, 17, 4, 3)).astype(np.uint8)}
    out = drop_keypoints(clip, 1.0, named_rng(0, clip["frame_dir"]))
    dropped = out["keypoint_score"] == 0
    assert (dropped.sum(axis=-1) == 1).all()
    assert (out["heatmap"][dropped] == 0).all() and (out["heatmap"][~dropped] > 0).all()
    assert out["heatmap"].dtype == np.uint8


def test_3d_poses_without_scores_are_refused() -> None:
    clip = {"frame_dir": "c", "keypoint": np.ones((1, 4, 17, 3), np.float32)}
    with pytest.raises(ValueError, match="2D poses"):
        drop_keypoints(clip, 0.5, np.random.default_rng(0))


def test_every_model_sees_the_same_drops_in_both_input_kinds(clips: list[dict]) -> None:
    """A GCN's coordinates and a 3D-CNN's volume lose the same joints in the same frames."""
    clip = clips[1]
    frames = clip["total_frames"]
    volume = VolumeInput(VolumeConfig(clip_len=frames, size=(32, 32), crop=False))
    coords = CoordinateInput(CoordinateConfig(clip_len=frames, num_person=1))
    expected = drop_mask(1, frames, 0.25, named_rng(7, clip["frame_dir"]))[0]  # [T, V]
    assert expected.any()

    def first(adapter, keypoint_drop: float = 0.25) -> object:
        dataset = ClipDataset([clip], adapter, test_mode=True, seed=7, keypoint_drop=keypoint_drop)
        return dataset.collate([dataset[0]])[0]

    features = first(coords)  # [1, clips, M, T, V, 3]: (x, y, score), zero where dropped
    gone = (features[0, 0, 0] == 0).all(dim=-1).numpy()
    np.testing.assert_array_equal(gone & (clip["keypoint_score"][0] > 0), expected)

    def empty_maps(keypoint_drop: float) -> np.ndarray:  # [T, V]: joint maps with nothing drawn
        volumes = volume.to_model(first(volume, keypoint_drop), torch.device("cpu"))  # [1, V, T, H, W]
        return (volumes[0].flatten(2) == 0).all(dim=-1).T.numpy()

    clean = empty_maps(0.0)  # a few maps are empty without drops (scores too low to draw)
    np.testing.assert_array_equal(empty_maps(0.25), clean | expected)
    assert (expected & ~clean).any()


def test_training_draws_new_drops_each_epoch_and_the_same_for_a_seed(clips: list[dict]) -> None:
    adapter = CoordinateInput(CoordinateConfig(clip_len=clips[2]["total_frames"], num_person=1))

    def epoch_features(epoch: int, keypoint_drop: float) -> np.ndarray:
        dataset = ClipDataset(clips[2:3], adapter, test_mode=False, seed=5, keypoint_drop=keypoint_drop)
        dataset.set_epoch(epoch)
        return dataset[0][0]

    first, again, second = epoch_features(0, 1.0), epoch_features(0, 1.0), epoch_features(1, 1.0)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first[..., 2] == 0, second[..., 2] == 0)
    # the drops have a stream of their own: where nothing was dropped, the frames and
    # augmentations are those of training without drops
    clean = epoch_features(0, 0.0)
    kept = first[..., 2] > 0
    np.testing.assert_array_equal(first[kept], clean[kept])
