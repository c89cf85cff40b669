"""The project's own pose file format, "posec3d-poses/1": one .npz per dataset, no pickle.

The file is an uncompressed zip of .npy members, readable with np.load(allow_pickle=False):

    document        uint8 [n]: UTF-8 JSON with
                      "format": "posec3d-poses/1",
                      "dataset": {key: value} for every dataset-level key but "annotations"
                                 (split, meta, ...),
                      "clips": [{key: value}], each clip's fields that are not numpy values,
                      "arrays": [{"key": key, "scalar": bool}], one entry per array group g.
    array<g>.data   1-D, any dtype: group g's arrays (one key, one dtype, one ndim), raveled
                    in C order and concatenated over clips.
    array<g>.index  int64 [N, 1 + ndim]: per clip, the element offset into data (-1: the clip
                    has no array in this group), then the array's shape.

A dataset is 1 + 2 x (number of array groups) members whatever its size, so loading 10k clips
costs a few reads and cheap views, not 10k zip members. Arrays whose shapes differ per clip
(M, T, C) share a group; "scalar" groups hold numpy scalars (as 0-d arrays), which come back as
numpy scalars of the same dtype. In JSON, tuples are written {"tuple": [...]} and dicts
{"dict": [[key, value], ...]} (keys need not be strings), so both round-trip; numpy scalars
inside lists, tuples or dicts come back as Python numbers. Arrays must not have object dtype and
may appear only as top-level clip values.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np

from posec3d.atomic import atomic_path

from .errors import PoseFileError

FORMAT_VERSION = "posec3d-poses/1"
SUFFIX = ".npz"
MAX_NESTING = 32  # levels of lists, tuples and dicts in one value; deeper is refused, not recursed into


def write_npz(dataset: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write a (validated) dataset to `path` atomically (posec3d.atomic)."""
    members = _encode(dataset, os.fspath(path))
    with atomic_path(path) as tmp, open(tmp, "xb") as file:
        np.savez(file, **members)
        file.flush()
        os.fsync(file.fileno())


def read_npz(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a posec3d-poses file into a dataset dict (not yet validated), without pickle."""
    source = os.fspath(path)
    try:
        archive = np.load(source, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise PoseFileError(
                f"{source}: not a {FORMAT_VERSION} file: a single .npy array, not an .npz"
            )
        with archive:
            members = {name: archive[name] for name in archive.files}
    except PoseFileError:
        raise
    except OSError as error:
        raise PoseFileError(f"{source}: cannot read: {error.strerror or error}") from error
    except Exception as error:  # truncated or corrupt zip, a pickle, ...: not our file
        raise PoseFileError(
            f"{source}: not a readable .npz file ({type(error).__name__}: {error})"
        ) from error
    try:
        return _decode(members, source)
    except PoseFileError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        raise PoseFileError(
            f"{source}: malformed {FORMAT_VERSION} file ({type(error).__name__}: {error})"
        ) from error


def _encode(dataset: dict[str, Any], source: str) -> dict[str, np.ndarray]:
    clips = dataset["annotations"]
    groups: dict[tuple[str, np.dtype, int, bool], int] = {}
    pieces: list[list[tuple[int, np.ndarray]]] = []
    records = []
    for index, clip in enumerate(clips):
        record = {}
        for key, value in clip.items():
            where = f"{source}: clip #{index} ({clip['frame_dir']!r}): key {key!r}"
            if not isinstance(key, str):
                raise PoseFileError(f"{where}: clip keys must be strings")
            if isinstance(value, (np.ndarray, np.generic)):
                array = np.asarray(value)
                if array.dtype.hasobject:
                    raise PoseFileError(f"{where}: object arrays cannot be stored without pickle")
                group = groups.setdefault(
                    (key, array.dtype, array.ndim, isinstance(value, np.generic)), len(groups)
                )
                if group == len(pieces):
                    pieces.append([])
                pieces[group].append((index, array))
            else:
                record[key] = _encode_value(value, where)
        records.append(record)

    dataset_fields = {}
    for key, value in dataset.items():
        if not isinstance(key, str):
            raise PoseFileError(f"{source}: dataset key {key!r}: dataset keys must be strings")
        if key != "annotations":
            dataset_fields[key] = _encode_value(value, f"{source}: dataset key {key!r}")
    document = {
        "format": FORMAT_VERSION,
        "dataset": dataset_fields,
        "clips": records,
        "arrays": [{"key": key, "scalar": scalar} for key, _, _, scalar in groups],
    }
    members = {"document": np.frombuffer(json.dumps(document).encode("utf-8"), dtype=np.uint8)}
    for (_, _, ndim, _), group in groups.items():
        index_rows = np.full((len(clips), 1 + ndim), -1, dtype=np.int64)
        offset = 0
        for clip_index, array in pieces[group]:
            index_rows[clip_index] = (offset, *array.shape)
            offset += array.size
        members[f"array{group}.data"] = np.concatenate(
            [array.ravel() for _, array in pieces[group]]
        )
        members[f"array{group}.index"] = index_rows
    return members


def _decode(members: dict[str, np.ndarray], source: str) -> dict[str, Any]:
    if "document" not in members:
        raise PoseFileError(f"{source}: not a {FORMAT_VERSION} file: it has no 'document' member")
    try:
        document = json.loads(members["document"].tobytes().decode("utf-8"))
    except RecursionError:
        raise PoseFileError(f"{source}: its document nests values too deeply to read") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_VERSION:
        found = document.get("format") if isinstance(document, dict) else None
        raise PoseFileError(f"{source}: unsupported format {found!r}, expected {FORMAT_VERSION!r}")
    clips = [
        {key: _decode_value(value, f"{source}: clip #{index}: key {key!r}") for key, value in record.items()}
        for index, record in enumerate(document["clips"])
    ]
    for group, spec in enumerate(document["arrays"]):
        key, scalar = spec["key"], spec["scalar"]
        data, index = members[f"array{group}.data"], members[f"array{group}.index"]
        if data.ndim != 1 or index.ndim != 2 or len(index) != len(clips):
            raise PoseFileError(
                f"{source}: array group {group} ({key!r}): its index does not match the clips"
            )
        for clip_index, (offset, *shape) in enumerate(index.tolist()):
            if offset < 0:
                continue
            end = offset + math.prod(shape)
            if end > data.size or min(shape, default=0) < 0:
                raise PoseFileError(
                    f"{source}: clip #{clip_index}: key {key!r}: index points outside the data"
                )
            array = data[offset:end].reshape(shape)
            clips[clip_index][key] = array[()] if scalar else array
    dataset = {
        key: _decode_value(value, f"{source}: dataset key {key!r}") for key, value in document["dataset"].items()
    }
    dataset["annotations"] = clips
    return dataset


def _encode_value(value: Any, where: str, depth: int = 0) -> Any:
    """A JSON-able value with tuples and dicts tagged, so that they decode to what they were."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic) and not isinstance(value.item(), np.generic):  # not longdouble
        return _encode_value(value.item(), where, depth)
    if isinstance(value, (list, tuple, dict)) and depth >= MAX_NESTING:
        raise PoseFileError(f"{where}: values nested deeper than {MAX_NESTING} levels")
    if isinstance(value, list):
        return [_encode_value(item, where, depth + 1) for item in value]
    if isinstance(value, tuple):
        return {"tuple": [_encode_value(item, where, depth + 1) for item in value]}
    if isinstance(value, dict):
        return {
            "dict": [[_encode_value(k, where, depth + 1), _encode_value(v, where, depth + 1)]
                     for k, v in value.items()]
        }
    if isinstance(value, np.ndarray):
        raise PoseFileError(f"{where}: numpy arrays are stored only as top-level per-clip values")
    raise PoseFileError(f"{where}: cannot store a {type(value).__name__} without pickle")


def _decode_value(value: Any, where: str, depth: int = 0) -> Any:
    if isinstance(value, (list, dict)) and depth >= MAX_NESTING:
        raise PoseFileError(f"{where}: values nested deeper than {MAX_NESTING} levels")
    if isinstance(value, list):
        return [_decode_value(item, where, depth + 1) for item in value]
    if isinstance(value, dict):
        if "tuple" in value:
            return tuple(_decode_value(item, where, depth + 1) for item in value["tuple"])
        return {_decode_value(k, where, depth + 1): _decode_value(v, where, depth + 1) for k, v in value["dict"]}
    return value
