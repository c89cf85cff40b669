"""Tests of posec3d.storage: restricted pickles, the posec3d-poses .npz format, validation,
Kinetics-400 kpfiles."""

from __future__ import annotations

import collections
import copy
import hashlib
import json
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from posec3d.atomic import OutputPathError
from posec3d.storage import (
    PoseFileError,
    load_kinetics,
    load_pickle_restricted,
    load_poses,
    save_poses,
    split_clips,
)
from tests.sample_data import MINI_UCF101, SHA256

V = 17


def _clip(
    rng: np.random.Generator, index: int, persons: int, frames: int, channels: int = 2
) -> dict[str, Any]:
    return {
        "frame_dir": f"clip{index}",
        "label": index % 3,
        "img_shape": (480, 640),
        "original_shape": (480, 640),
        "total_frames": frames,
        "keypoint": rng.uniform(0, 640, (persons, frames, V, channels)).astype(np.float32),
        "keypoint_score": rng.uniform(0, 1, (persons, frames, V)).astype(np.float32),
    }


def _dataset() -> dict[str, Any]:
    """Three valid clips with different M, T and C (the last one 3D)."""
    rng = np.random.default_rng(0)
    clips = [_clip(rng, 0, 1, 5), _clip(rng, 1, 2, 8), _clip(rng, 2, 3, 3, channels=3)]
    return {"split": {"train": ["clip0", "clip2"], "val": ["clip1"]}, "annotations": clips}


def _assert_same(actual: Any, expected: Any, where: str = "dataset") -> None:
    """Exact equality: same types, same dtypes and shapes, the same bytes."""
    assert type(actual) is type(expected), f"{where}: {type(actual)} != {type(expected)}"
    if isinstance(expected, (np.ndarray, np.generic)):
        assert actual.dtype == expected.dtype, f"{where}: dtype {actual.dtype} != {expected.dtype}"
        assert actual.shape == expected.shape, f"{where}: shape {actual.shape} != {expected.shape}"
        assert (
            np.ascontiguousarray(actual).tobytes() == np.ascontiguousarray(expected).tobytes()
        ), where
    elif isinstance(expected, dict):
        assert (
            actual.keys() == expected.keys()
        ), f"{where}: keys {actual.keys()} != {expected.keys()}"
        for key in expected:
            _assert_same(actual[key], expected[key], f"{where}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), f"{where}: length"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _assert_same(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def _leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


# ---------------------------------------------------------------- restricted pickle loader


def test_sample_files_are_the_recorded_ones() -> None:
    for path, digest in SHA256.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, path


def test_restricted_loader_reads_official_mini_ucf101() -> None:
    data = load_pickle_restricted(MINI_UCF101)
    clips = data["annotations"]
    assert [c["frame_dir"] for c in clips[:3]] == data["split"]["train1"]
    assert [c["frame_dir"] for c in clips[3:]] == data["split"]["test1"]
    assert [c["keypoint"].shape for c in clips] == [
        (1, 119, V, 2),
        (1, 116, V, 2),
        (1, 145, V, 2),
        (2, 163, V, 2),
        (1, 122, V, 2),
        (1, 258, V, 2),
    ]
    for clip in clips:
        assert clip["keypoint"].dtype == np.float16 and clip["keypoint_score"].dtype == np.float16
        assert clip["keypoint_score"].shape == clip["keypoint"].shape[:3]
        assert clip["total_frames"] == clip["keypoint"].shape[1]
        assert clip["img_shape"] == (256, 340) and clip["label"] == 0
    first = clips[0]
    np.testing.assert_array_equal(
        first["keypoint"][0, 0, :2], np.array([[208.9, 92.5], [220.4, 81.0]], np.float16)
    )
    np.testing.assert_array_equal(
        first["keypoint_score"][0, 0, :2], np.array([0.955, 0.962], np.float16)
    )


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_restricted_loader_reads_plain_data_of_every_protocol(
    tmp_path: Path, protocol: int
) -> None:
    plain = {
        "list": [1, 2.5, "three", None, True],
        "tuple": (1, (2, 3)),
        "set": {1, 2},
        "frozenset": frozenset({"a"}),
        "ordered": collections.OrderedDict(b=1, a=2),
        "bytes": b"\x00\xff",
        "empty_bytes": b"",
        "bytearray": bytearray(b"ab"),
        "complex": 1 + 2j,
        "float16": np.arange(6, dtype=np.float16).reshape(2, 3),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "big_endian": np.arange(4, dtype=">i4"),
        "bools": np.array([True, False]),
        "strings": np.array(["a", "bcd"]),
        "zero_d": np.array(3.5),
        "scalars": (np.float32(1.5), np.int64(-7), np.bool_(True)),
    }
    data = pickle.dumps(plain, protocol=protocol)
    path = tmp_path / "plain.pkl"
    path.write_bytes(data)
    # The reference is the unrestricted unpickler on the same bytes (numpy itself reads protocol
    # 2-4 arrays in native byte order).
    _assert_same(load_pickle_restricted(path), pickle.loads(data))


class _Exploit:
    """A pickle payload that runs `call(*args)` when unpickled."""

    def __init__(self, call: Callable[..., Any], *args: Any) -> None:
        self.call, self.args = call, args

    def __reduce__(self) -> tuple[Any, ...]:
        return self.call, self.args


def _exploits(marker: Path) -> list[tuple[_Exploit, str]]:
    return [
        (_Exploit(os.system, f"touch {marker}"), f"{os.system.__module__}.system"),
        (_Exploit(eval, f"open({str(marker)!r}, 'w').close()"), "builtins.eval"),
        (_Exploit(subprocess.call, ["touch", str(marker)]), "subprocess.call"),
        (_Exploit(np.save, str(marker), np.zeros(1)), "numpy.save"),  # numpy, but not data
    ]


@pytest.mark.parametrize("which", range(4))
def test_restricted_loader_refuses_code_and_runs_none(tmp_path: Path, which: int) -> None:
    marker = tmp_path / "pwned"
    exploit, global_name = _exploits(marker)[which]
    path = tmp_path / "evil.pkl"
    # The payload hides inside an otherwise valid pose dataset.
    dataset = _dataset()
    dataset["annotations"][1]["payload"] = exploit
    path.write_bytes(pickle.dumps(dataset))
    for load in (load_pickle_restricted, load_poses):
        with pytest.raises(PoseFileError) as error:
            load(path)
        assert str(error.value) == (
            f"{path}: refusing to load '{global_name}': "
            "only plain containers, numpy arrays and scalars are allowed"
        )
    assert not marker.exists() and not marker.with_suffix(".npy").exists()


# ---------------------------------------------------------------- load_poses / save_poses


def test_mini_ucf101_loads_normalised_and_round_trips(tmp_path: Path) -> None:
    raw = load_pickle_restricted(MINI_UCF101)
    dataset = load_poses(MINI_UCF101)
    assert dataset["split"] == raw["split"]
    assert len(dataset["annotations"]) == 6
    for clip, raw_clip in zip(dataset["annotations"], raw["annotations"], strict=True):
        assert clip["keypoint"].dtype == np.float32 and clip["keypoint_score"].dtype == np.float32
        np.testing.assert_array_equal(clip["keypoint"], raw_clip["keypoint"].astype(np.float32))
        np.testing.assert_array_equal(
            clip["keypoint_score"], raw_clip["keypoint_score"].astype(np.float32)
        )
        assert clip["img_shape"] == (256, 340) and type(clip["img_shape"][0]) is int
        assert clip["label"] == 0 and clip["total_frames"] == raw_clip["total_frames"]
    assert dataset["annotations"][3]["modality"] == "Pose"  # extra keys survive

    path = tmp_path / "ucf.npz"
    save_poses(dataset, path)
    _assert_same(load_poses(path), dataset)
    assert _leftovers(tmp_path) == ["ucf.npz"]


def _dataset_with_extras() -> dict[str, Any]:
    """`_dataset` with extra clip keys of every storable kind and a meta dict."""
    dataset = _dataset()
    rng = np.random.default_rng(1)
    for i, clip in enumerate(dataset["annotations"]):
        persons, frames = clip["keypoint"].shape[:2]
        clip["box"] = rng.uniform(0, 640, (persons, frames, 4)).astype(np.float32)
        clip["keypoint_3d"] = rng.normal(size=(persons, frames, V, 3))
        clip["poi"] = np.arange(persons) == 0
        clip["body"] = rng.integers(-5, 5, (persons, 10)).astype(np.int16)
        clip["subject"] = i + 1
        clip["view"] = 0.1 * (i + 1)
        clip["camera"] = f"cam{i}"
        clip["mirrored"] = i == 1
        clip["box_size"] = (1.5, 2)
        clip["sizes"] = [1, 2.25, 3]
        clip["nested"] = {"a": [1, (2, 3)], 4.5: None}
    dataset["annotations"][0]["camera_K"] = np.eye(3) * 500.0  # only on one clip
    dataset["annotations"][1]["camera_K"] = np.eye(3, dtype=np.float32)  # another dtype, same key
    dataset["annotations"][2]["tags"] = np.array(["left", "right"])
    dataset["annotations"][2]["scale"] = np.float32(0.75)  # numpy scalars keep their dtype
    dataset["annotations"][2]["seed"] = np.int64(-3)
    dataset["annotations"][2]["zero_d"] = np.array(2.5)  # a 0-d array stays a 0-d array
    dataset["annotations"][2]["no_boxes"] = np.zeros((0, 4), np.float32)
    dataset["meta"] = {
        "world": "synthetic",
        "seed": 7,
        "classes": ["wave", "jump", "sit"],
        "fps": 29.97,
    }
    return dataset


def test_round_trip_is_bit_exact_with_extra_keys(tmp_path: Path) -> None:
    dataset = _dataset_with_extras()
    expected = copy.deepcopy(dataset)

    path = tmp_path / "poses.npz"
    save_poses(dataset, path)
    _assert_same(dataset, expected)  # saving does not touch its input
    _assert_same(load_poses(path), expected)


def test_export_to_mmaction2_format_round_trips_losslessly(tmp_path: Path) -> None:
    """`posec3d export`: a pose file as an mmaction2/pyskl annotation pickle, which the restricted
    loader reads back to the same dataset and mmaction2's own PoseDataset reads per split."""
    from mmaction.datasets import PoseDataset

    poses, exported = tmp_path / "poses.npz", tmp_path / "out" / "poses.pkl"
    save_poses(_dataset_with_extras(), poses)
    done = subprocess.run([sys.executable, "-m", "posec3d", "export", str(poses), "--out", str(exported)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    _assert_same(load_poses(exported), load_poses(poses))
    ours = {clip["frame_dir"]: clip for clip in load_poses(poses)["annotations"]}
    theirs = PoseDataset(ann_file=str(exported), pipeline=[], split="train")
    assert len(theirs) == 2
    for i in range(len(theirs)):
        info = theirs.get_data_info(i)
        np.testing.assert_array_equal(info["keypoint"], ours[info["frame_dir"]]["keypoint"])
        assert info["label"] == ours[info["frame_dir"]]["label"]


def test_export_refuses_other_suffixes_and_bad_clips(tmp_path: Path) -> None:
    from posec3d.storage.export import export_annotations

    with pytest.raises(PoseFileError, match="must end in .pkl"):
        export_annotations(_dataset(), tmp_path / "poses.npz")
    broken = _dataset()
    broken["annotations"][1]["keypoint"][0, 0, 0, 0] = np.nan
    with pytest.raises(PoseFileError, match="clip1"):
        export_annotations(broken, tmp_path / "poses.pkl")
    assert _leftovers(tmp_path) == []


def test_own_format_opens_without_pickle(tmp_path: Path) -> None:
    path = tmp_path / "poses.npz"
    save_poses(_dataset(), path)
    with np.load(path, allow_pickle=False) as archive:
        members = {name: archive[name] for name in archive.files}
    assert all(not array.dtype.hasobject for array in members.values())
    document = json.loads(members["document"].tobytes())
    assert document["format"] == "posec3d-poses/1"
    assert len(document["clips"]) == 3
    # One data member per array group, not one per clip.
    assert len(members) == 1 + 2 * len(document["arrays"])


def test_3d_clip_without_scores_gets_ones(tmp_path: Path) -> None:
    dataset = _dataset()
    clip = dataset["annotations"][2]
    del (
        clip["keypoint_score"],
        clip["img_shape"],
        clip["original_shape"],
    )  # as in pyskl's NTU 3danno
    clip["keypoint"] = clip["keypoint"].astype(np.float64)
    path = tmp_path / "ntu3d.pkl"
    path.write_bytes(pickle.dumps(dataset))
    loaded = load_poses(path)["annotations"][2]
    assert loaded["keypoint"].dtype == np.float32
    np.testing.assert_array_equal(loaded["keypoint_score"], np.ones((3, 3, V), np.float32))
    assert "img_shape" not in loaded


def test_bare_list_of_clips_is_a_dataset_without_splits(tmp_path: Path) -> None:
    path = tmp_path / "mmaction_0x.pkl"
    path.write_bytes(pickle.dumps(_dataset()["annotations"]))
    dataset = load_poses(path)
    assert dataset["split"] == {} and len(dataset["annotations"]) == 3


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda clip: clip.__setitem__(key, value)


def _empty_persons(clip: dict[str, Any]) -> None:
    clip["keypoint"], clip["keypoint_score"] = clip["keypoint"][:0], clip["keypoint_score"][:0]


def _empty_frames(clip: dict[str, Any]) -> None:
    clip["keypoint"], clip["keypoint_score"] = (
        clip["keypoint"][:, :0],
        clip["keypoint_score"][:, :0],
    )
    clip["total_frames"] = 0


def _nan_keypoint(clip: dict[str, Any]) -> None:
    clip["keypoint"][1, 3, 4, 0] = np.nan


def _inf_score(clip: dict[str, Any]) -> None:
    clip["keypoint_score"][0, 2, 0] = np.inf


# Each breaks clip #1 ('clip1'); the message must say what is wrong.
BAD_CLIPS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "missing label": (lambda clip: clip.pop("label"), "missing required key(s) 'label'"),
    "missing 2D score": (
        lambda clip: clip.pop("keypoint_score"),
        "missing required key 'keypoint_score'",
    ),
    "keypoint not 4D": (_set("keypoint", np.zeros((2, 8, V), np.float32)), "expected [M, T, V, C]"),
    "keypoint C=1": (_set("keypoint", np.zeros((2, 8, V, 1), np.float32)), "expected [M, T, V, C]"),
    "keypoint a list": (_set("keypoint", [[0.0]]), "keypoint must be a numeric numpy array"),
    "score shape": (
        _set("keypoint_score", np.zeros((2, 7, V), np.float32)),
        "keypoint_score has shape (2, 7, 17)",
    ),
    "NaN keypoint": (_nan_keypoint, "keypoint contains NaN or inf (first at index (1, 3, 4, 0))"),
    "inf score": (_inf_score, "keypoint_score contains NaN or inf"),
    "no persons": (_empty_persons, "empty clip: keypoint has no persons (M=0)"),
    "no frames": (_empty_frames, "empty clip: keypoint has no frames (T=0)"),
    "total_frames": (_set("total_frames", 9), "total_frames is 9 but keypoint has T=8 frames"),
    "float label": (_set("label", 1.0), "label must be an integer"),
    "img_shape": (_set("img_shape", (480, 640, 3)), "img_shape must be (height, width)"),
    "duplicate frame_dir": (_set("frame_dir", "clip0"), "frame_dir repeats clip #0"),
}


def _broken(name: str) -> dict[str, Any]:
    dataset = _dataset()
    breaks, _ = BAD_CLIPS[name]
    breaks(dataset["annotations"][1])
    return dataset


@pytest.mark.parametrize("name", sorted(BAD_CLIPS))
def test_bad_clip_in_official_pickle_names_file_and_clip(tmp_path: Path, name: str) -> None:
    path = tmp_path / "bad.pkl"
    path.write_bytes(pickle.dumps(_broken(name)))
    with pytest.raises(PoseFileError) as error:
        load_poses(path)
    message = str(error.value)
    assert message.startswith(f"{path}: clip #1 ('clip")
    assert BAD_CLIPS[name][1] in message


@pytest.mark.parametrize("name", sorted(BAD_CLIPS))
def test_bad_clip_is_not_saved(tmp_path: Path, name: str) -> None:
    path = tmp_path / "bad.npz"
    with pytest.raises(PoseFileError) as error:
        save_poses(_broken(name), path)
    assert str(error.value).startswith(f"{path}: clip #1 ('clip")
    assert BAD_CLIPS[name][1] in str(error.value)
    assert _leftovers(tmp_path) == []


def test_split_entry_naming_no_clip(tmp_path: Path) -> None:
    dataset = _dataset()
    dataset["split"]["val"].append("ghost")
    path = tmp_path / "bad.pkl"
    path.write_bytes(pickle.dumps(dataset))
    with pytest.raises(
        PoseFileError,
        match=f"^{path}: split 'val' names clip 'ghost', which is not in the annotations$",
    ):
        load_poses(path)
    with pytest.raises(PoseFileError, match="split 'val' names clip 'ghost'"):
        save_poses(dataset, tmp_path / "bad.npz")
    assert _leftovers(tmp_path) == ["bad.pkl"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("text.pkl", b"frame_dir,label\nclip0,1\n", "not a readable pickle"),
        ("text.npz", b"frame_dir,label\nclip0,1\n", "not a readable .npz file"),
        (
            "ints.pkl",
            pickle.dumps([1, 2, 3]),
            "clip #0 is an object of type 'int', expected a dict",
        ),
        ("dict.pkl", pickle.dumps({"split": {}}), "not a pose dataset"),
        ("empty.pkl", b"", "not a readable pickle"),
        ("poses.json", b"{}", "unknown pose file suffix '.json'"),
    ],
)
def test_not_a_pose_file(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(PoseFileError, match=f"^{path}: ") as error:
        load_poses(path)
    assert message in str(error.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PoseFileError, match="cannot read: No such file"):
        load_poses(tmp_path / "absent.npz")


def test_foreign_npz_and_truncated_files(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, keypoint=np.zeros(3))
    with pytest.raises(
        PoseFileError, match=f"^{foreign}: not a posec3d-poses/1 file: it has no 'document' member"
    ):
        load_poses(foreign)

    good = tmp_path / "good.npz"
    save_poses(_dataset(), good)
    for cut in (0.5, 0.95):
        truncated = tmp_path / f"truncated_{cut}.npz"
        data = good.read_bytes()
        truncated.write_bytes(data[: int(len(data) * cut)])
        with pytest.raises(PoseFileError, match=f"^{truncated}: not a readable .npz file"):
            load_poses(truncated)

    truncated_pkl = tmp_path / "truncated.pkl"
    data = MINI_UCF101.read_bytes()
    truncated_pkl.write_bytes(data[: len(data) // 2])
    with pytest.raises(PoseFileError, match=f"^{truncated_pkl}: not a readable pickle"):
        load_poses(truncated_pkl)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (np.array([{"a": 1}], dtype=object), "object arrays cannot be stored without pickle"),
        (b"raw", "cannot store a bytes without pickle"),
        ([np.zeros(2)], "numpy arrays are stored only as top-level per-clip values"),
    ],
)
def test_unstorable_extra_value_writes_nothing(tmp_path: Path, value: Any, message: str) -> None:
    dataset = _dataset()
    dataset["annotations"][2]["extra"] = value
    path = tmp_path / "out.npz"
    with pytest.raises(
        PoseFileError, match=f"^{path}: clip #2 \\('clip2'\\): key 'extra': {message}"
    ):
        save_poses(dataset, path)
    assert _leftovers(tmp_path) == []


def test_failed_save_leaves_previous_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "poses.npz"
    save_poses(_dataset(), path)
    before = path.read_bytes()
    with pytest.raises(PoseFileError):
        save_poses(_broken("NaN keypoint"), path)
    assert path.read_bytes() == before

    # A folder where the file should go: refused before anything is written.
    blocked = tmp_path / "blocked.npz"
    blocked.mkdir()
    with pytest.raises(OutputPathError, match="blocked.npz: is a folder"):
        save_poses(_dataset(), blocked)
    assert _leftovers(tmp_path) == ["blocked.npz", "poses.npz"]
    assert list(blocked.iterdir()) == []

    with pytest.raises(PoseFileError, match="written as .npz"):
        save_poses(_dataset(), tmp_path / "poses.pkl")


def test_split_clips_in_split_order() -> None:
    dataset = _dataset()
    dataset["split"]["train"] = ["clip2", "clip0"]
    assert [clip["frame_dir"] for clip in split_clips(dataset, "train")] == ["clip2", "clip0"]
    assert split_clips(dataset, "val")[0] is dataset["annotations"][1]
    with pytest.raises(
        PoseFileError, match="unknown split 'xsub_val'; known splits: 'train', 'val'"
    ):
        split_clips(dataset, "xsub_val")


# ---------------------------------------------------------------- Kinetics-400 kpfiles

# Skeleton j of clip 'vidA' sits in frame FRAMES_A[j]; all its joints have x = j + 1,
# y = 10 * (j + 1) and score SCORES_A[j]; its person box has score BOXES_A[j].
FRAMES_A = [0, 0, 2, 2, 2, 5]
SCORES_A = [0.5, 0.875, 0.25, 0.75, 0.625, 0.375]
BOXES_A = [0.9, 0.4, 0.95, 0.6, 0.3, 0.8]


def _skeletons(scores: list[float]) -> np.ndarray:
    skeletons = np.zeros((len(scores), V, 3), np.float16)
    for j, score in enumerate(scores):
        skeletons[j] = (j + 1, 10 * (j + 1), score)
    return skeletons


def _write_k400(root: Path) -> Path:
    """pyskl's layout: a table of contents plus kpfiles {frame_dir: {'keypoint': [N, V, 3]}}."""

    def toc(
        frame_dir: str, label: int, kpfile: str, frames: list[int], boxes: list[float], total: int
    ) -> dict[str, Any]:
        box_score = np.array(boxes, np.float16)
        valid = {
            thr: len({f for f, b in zip(frames, boxes, strict=True) if b >= thr})
            for thr in (0.5, 0.6, 0.7, 0.8, 0.9)
        }
        return {
            "frame_dir": frame_dir,
            "label": label,
            "img_shape": (340, 256),
            "original_shape": (340, 256),
            "total_frames": total,
            "raw_file": f"data/k400/kpfiles/{kpfile}",
            "frame_inds": np.array(frames, np.int16),
            "box_score": box_score,
            "valid": valid,
        }

    annotations = [
        toc("vidA", 3, "part_0.pkl", FRAMES_A, BOXES_A, 6),
        toc("vidB", 7, "part_1.pkl", [1, 1], [0.7, 0.8], 3),
    ]
    kpfiles = root / "data" / "k400" / "kpfiles"
    kpfiles.mkdir(parents=True)
    (kpfiles / "part_0.pkl").write_bytes(pickle.dumps({"vidA": {"keypoint": _skeletons(SCORES_A)}}))
    (kpfiles / "part_1.pkl").write_bytes(
        pickle.dumps({"vidB": {"keypoint": _skeletons([0.5, 0.25])}})
    )
    path = root / "data" / "k400" / "k400_hrnet.pkl"
    path.write_bytes(
        pickle.dumps({"split": {"train": ["vidA"], "val": ["vidB"]}, "annotations": annotations})
    )
    return path


def _expected(
    slots: dict[int, tuple[int, int]], persons: int, frames: int
) -> tuple[np.ndarray, np.ndarray]:
    """keypoint / score with skeleton j of vidA at (person, frame) = slots[j]."""
    skeletons = _skeletons(SCORES_A).astype(np.float32)
    keypoint = np.zeros((persons, frames, V, 2), np.float32)
    score = np.zeros((persons, frames, V), np.float32)
    for j, (person, frame) in slots.items():
        keypoint[person, frame], score[person, frame] = skeletons[j, :, :2], skeletons[j, :, 2]
    return keypoint, score


def test_kinetics_decompress_like_pyskl(tmp_path: Path) -> None:
    annotation = _write_k400(tmp_path)
    dataset = load_kinetics(annotation, tmp_path / "data" / "k400" / "kpfiles")
    vid_a, vid_b = dataset["annotations"]
    # squeeze: frames 0, 2, 5 become 0, 1, 2; persons take slots in file order.
    keypoint, score = _expected(
        {0: (0, 0), 1: (1, 0), 2: (0, 1), 3: (1, 1), 4: (2, 1), 5: (0, 2)}, 3, 3
    )
    np.testing.assert_array_equal(vid_a["keypoint"], keypoint)
    np.testing.assert_array_equal(vid_a["keypoint_score"], score)
    assert vid_a["total_frames"] == 3 and vid_a["label"] == 3 and vid_a["img_shape"] == (340, 256)
    assert not {"raw_file", "frame_inds", "box_score", "valid"} & vid_a.keys()
    assert vid_b["keypoint"].shape == (2, 1, V, 2) and vid_b["total_frames"] == 1
    assert dataset["split"] == {"train": ["vidA"], "val": ["vidB"]}

    path = tmp_path / "k400.npz"
    save_poses(dataset, path)
    _assert_same(load_poses(path), dataset)


def test_kinetics_max_person_ranks_by_score(tmp_path: Path) -> None:
    annotation = _write_k400(tmp_path)
    vid_a = load_kinetics(annotation, tmp_path / "data" / "k400" / "kpfiles", max_person=2)[
        "annotations"
    ][0]
    # Frame 0: skeleton 1 (0.875) before 0 (0.5); frame 2: 3 (0.75), 4 (0.625); 2 (0.25) dropped.
    keypoint, score = _expected({1: (0, 0), 0: (1, 0), 3: (0, 1), 4: (1, 1), 5: (0, 2)}, 2, 3)
    np.testing.assert_array_equal(vid_a["keypoint"], keypoint)
    np.testing.assert_array_equal(vid_a["keypoint_score"], score)


def test_kinetics_box_threshold_and_no_squeeze(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    annotation = _write_k400(tmp_path)
    monkeypatch.chdir(tmp_path)  # raw_file is relative to pyskl's root
    vid_a = load_kinetics(annotation, box_thr=0.5, squeeze=False)["annotations"][0]
    # Boxes >= 0.5: skeletons 0, 2, 3, 5; all 6 frames kept.
    keypoint, score = _expected({0: (0, 0), 2: (0, 2), 3: (1, 2), 5: (0, 5)}, 2, 6)
    np.testing.assert_array_equal(vid_a["keypoint"], keypoint)
    np.testing.assert_array_equal(vid_a["keypoint_score"], score)
    assert vid_a["total_frames"] == 6


def test_kinetics_bad_layouts(tmp_path: Path) -> None:
    annotation = _write_k400(tmp_path)
    kpfiles = tmp_path / "data" / "k400" / "kpfiles"
    with pytest.raises(
        PoseFileError,
        match="keypoints live in the kpfile .* load this annotation file with load_kinetics",
    ):
        load_poses(annotation)

    (kpfiles / "part_1.pkl").write_bytes(pickle.dumps({"other": {"keypoint": _skeletons([0.5])}}))
    with pytest.raises(
        PoseFileError, match=f"clip #1 \\('vidB'\\): {kpfiles / 'part_1.pkl'} holds no 'keypoint'"
    ):
        load_kinetics(annotation, kpfiles)

    (kpfiles / "part_1.pkl").write_bytes(pickle.dumps({"vidB": _Exploit(os.system, "true")}))
    with pytest.raises(PoseFileError, match=f"^{kpfiles / 'part_1.pkl'}: refusing to load"):
        load_kinetics(annotation, kpfiles)

    table = load_pickle_restricted(annotation)
    table["annotations"][0]["frame_inds"] = np.array([0, 2, 0, 2, 2, 5], np.int16)
    annotation.write_bytes(pickle.dumps(table))
    with pytest.raises(
        PoseFileError, match="clip #0 \\('vidA'\\): frame_inds must be non-decreasing"
    ):
        load_kinetics(annotation, kpfiles)
