"""Side-specific labels under a flip (Volleyball): the label map, and training flips that swap them."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from posec3d.data import ClipDataset, VolumeInput, mirrored
from posec3d.label_flip import flip_label_map
from posec3d.skeleton import JOINT_FLIP
from posec3d.storage import load_pickle_restricted
from posec3d.synth.analogs import VOLLEYBALL_CLASSES
from posec3d.volumes.pipeline import VolumeConfig
from tests.sample_data import MINI_UCF101


def test_volleyball_sides_swap_and_other_labels_stay() -> None:
    """The dataset's own spelling mixes '_' and '-': r_spike's mirror is l-spike."""
    mapping = flip_label_map(list(VOLLEYBALL_CLASSES))
    names = [VOLLEYBALL_CLASSES[i] for i in mapping]
    assert names == ["l_set", "l-spike", "l-pass", "l_winpoint", "r_set", "r_spike", "r-pass", "r_winpoint"]
    assert (mapping[mapping] == np.arange(8)).all()  # flipping twice gives the label back
    assert flip_label_map(["vault", "floor", "l_sided"] + ["r_sided"]).tolist() == [0, 1, 3, 2]
    assert flip_label_map(["vault", "lunge", "run"]) is None  # no class names a side


@pytest.mark.parametrize("classes, message", [
    (["l_set", "r_spike"], "is missing"),
    (["l_set", "r_set", "r-set"], "given 2 times"),
])
def test_a_side_without_its_mirror_is_refused(classes: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        flip_label_map(classes)


@pytest.fixture(scope="module")
def clips() -> list[dict]:
    """Six real UCF101 clips with HRNet 2D poses, labelled as Volleyball's eight classes."""
    annotations = load_pickle_restricted(MINI_UCF101)["annotations"]
    return [{**clip, "label": i % 8} for i, clip in enumerate(annotations * 40)]


def test_training_flips_mirror_the_clip_and_swap_its_label(clips: list[dict]) -> None:
    """A flipped sample is the unflipped adapter's input of the mirrored clip, with the mirrored
    label; flips come at the adapter's probability; test mode and unsided classes never flip."""
    adapter = VolumeInput(VolumeConfig(clip_len=8, size=(32, 32), flip_prob=0.5))
    mapping = flip_label_map(list(VOLLEYBALL_CLASSES))
    data = ClipDataset(clips, adapter, test_mode=False, seed=3, label_flip=mapping)
    assert data.adapter.flip_prob == 0.0  # the clip flips, not the canvas
    flipped = 0
    for index in range(len(clips)):
        (kp, score), label = data[index]
        rng = np.random.default_rng([3, 0, index])
        plain = data.adapter.prepare(clips[index], 1, False, rng)
        rng = np.random.default_rng([3, 0, index])
        mirror = data.adapter.prepare(mirrored(clips[index]), 1, False, rng)
        original = clips[index]["label"]
        if label == original:
            assert np.array_equal(kp, plain[0]) and np.array_equal(score, plain[1])
        else:
            assert label == mapping[original]
            assert np.array_equal(kp, mirror[0]) and np.array_equal(score, mirror[1])
            flipped += 1
    assert stats.binomtest(flipped, len(clips), 0.5).pvalue > 1e-3
    test = ClipDataset(clips, adapter, test_mode=True, seed=3, label_flip=mapping)
    assert test.label_flip is None and [test[i][1] for i in range(8)] == [c["label"] for c in clips[:8]]
    plain_data = ClipDataset(clips, adapter, test_mode=False, seed=3)
    assert plain_data.adapter is adapter  # unsided classes: the canvas flip as before


def test_a_mirrored_clip_swaps_sides_in_the_frame(clips: list[dict]) -> None:
    clip = clips[0]
    width = clip["img_shape"][1]
    flipped = mirrored(clip)
    expected_x = width - 1 - clip["keypoint"][..., JOINT_FLIP, 0].astype(np.float32)
    assert np.array_equal(flipped["keypoint"][..., 0], expected_x)
    assert np.array_equal(flipped["keypoint_score"], clip["keypoint_score"][..., JOINT_FLIP])
    assert np.array_equal(mirrored(flipped)["keypoint"], clip["keypoint"].astype(np.float32))
