"""Load official mmaction2/pyskl pickles without letting them run code.

A pickle can call any importable function while loading; the official annotation files only
need plain containers, numpy arrays and numpy scalars, so everything else is refused. The
constructors that are allowed take only the arguments pickle itself writes for them, so that a
few bytes cannot ask for gigabytes (`bytearray(1 << 31)`, an empty array's reconstruction at
a huge shape): the memory a load takes stays in proportion to the file.
"""

from __future__ import annotations

import collections
import os
import pickle
from typing import Any, BinaryIO

import numpy as np

from .errors import PoseFileError


def _allowed_globals() -> dict[tuple[str, str], Any]:
    """The (module, name) pairs official pose pickles reference, mapped to safe objects.

    numpy's reconstructors are taken from numpy's own __reduce__ so that they are the installed
    version's objects, whichever module name (numpy.core in 1.x, numpy._core in 2.x) wrote them.
    """
    scalar = np.float64(0).__reduce__()[0]
    frombuffer = np.empty(1).__reduce_ex__(5)[0]  # protocol 5 arrays
    allowed: dict[tuple[str, str], Any] = {
        ("numpy", "ndarray"): _NDARRAY,
        ("numpy", "dtype"): np.dtype,
    }
    for package in ("numpy.core", "numpy._core"):
        allowed[(f"{package}.multiarray", "_reconstruct")] = _empty_array
        allowed[(f"{package}.multiarray", "scalar")] = scalar
        allowed[(f"{package}.numeric", "_frombuffer")] = frombuffer
    # Protocol 2 (mmcv.dump's default) spells builtins "__builtin__" and writes bytes through
    # _codecs.encode (empty bytes as bytes()); sets, bytearrays and complex numbers are reduced
    # to their constructors.
    for module in ("builtins", "__builtin__"):
        for builtin in (set, frozenset, complex):
            allowed[(module, builtin.__name__)] = builtin
        allowed[(module, "bytes")] = _bytes_of(bytes)
        allowed[(module, "bytearray")] = _bytes_of(bytearray)
    allowed[("_codecs", "encode")] = _latin1_encode
    allowed[("collections", "OrderedDict")] = collections.OrderedDict
    return allowed


class _NdarrayName:
    """What the name numpy.ndarray resolves to: a marker `_empty_array` accepts, not the class
    itself, which a pickle could call to allocate an array of any size."""


_NDARRAY = _NdarrayName()
_RECONSTRUCT = np.empty(0).__reduce__()[0]


def _empty_array(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    """numpy's array reconstructor at what numpy pickles: an empty ndarray that BUILD then fills
    from the file's bytes (numpy checks that they match the shape)."""
    if subtype is not _NDARRAY or not isinstance(shape, tuple) or 0 not in shape:
        raise pickle.UnpicklingError(f"unexpected array reconstruction {subtype!r}, shape {shape!r}")
    return _RECONSTRUCT(np.ndarray, shape, dtype)


def _bytes_of(kind: type) -> Any:
    """bytes or bytearray from what pickle writes for them (nothing, bytes, or text and its
    encoding), never from a size, which would allocate that many zero bytes."""

    def build(*args: Any) -> Any:
        if args and not isinstance(args[0], (bytes, bytearray, str)):
            raise pickle.UnpicklingError(
                f"refusing {kind.__name__}({type(args[0]).__name__}): it is built from bytes or text"
            )
        return kind(*args)

    return build


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    """Protocol 2's way of storing bytes, limited to the encodings pickle itself writes."""
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"unexpected bytes encoding {encoding!r}")
    return text.encode(encoding)


_ALLOWED = _allowed_globals()


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler that resolves only the globals plain containers and numpy data need."""

    def __init__(self, file: BinaryIO, source: str) -> None:
        super().__init__(file)
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise PoseFileError(
                f"{self._source}: refusing to load '{module}.{name}': only plain containers, "
                "numpy arrays and scalars are allowed"
            ) from None


def load_pickle_restricted(path: str | os.PathLike[str]) -> Any:
    """Unpickle `path` allowing only plain containers, numpy arrays and numpy scalars.

    The file's dtypes are kept (official pose files hold float16); `load_poses` normalises.
    Raises PoseFileError for a missing, unreadable, truncated or forbidden pickle.
    """
    source = os.fspath(path)
    try:
        with open(source, "rb") as file:
            return RestrictedUnpickler(file, source).load()
    except PoseFileError:
        raise
    except OSError as error:
        raise PoseFileError(f"{source}: cannot read: {error.strerror or error}") from error
    except Exception as error:  # any decoding failure of untrusted bytes means a corrupt file
        raise PoseFileError(
            f"{source}: not a readable pickle ({type(error).__name__}: {error})"
        ) from error
