"""Atomic writes: outputs appear complete under their final name, or not at all.

A path that cannot become a file (an existing folder, a path under a file, a read-only folder)
raises OutputPathError naming it before anything is written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class OutputPathError(OSError, ValueError):
    """An output path that cannot be written; the message names the path and why.

    Both an OSError (what went wrong) and a ValueError (bad input to a command), as io's
    UnsupportedOperation is; str() is the message alone.
    """


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it to `path` if the block succeeds.

    The temporary name keeps the suffix (numpy and torch pick formats by it) and is removed
    when the block fails, so no partial output is left behind.
    """
    with atomic_paths(path) as (tmp,):
        yield tmp


@contextmanager
def atomic_paths(*paths: str | Path) -> Iterator[list[Path]]:
    """Temporary paths for outputs that belong together (scores and their metrics): after the
    block succeeds all are renamed to their final names; if the block or a rename fails, none
    of them is left (an output renamed already is removed again)."""
    finals = [Path(p) for p in paths]
    if len(set(finals)) < len(finals):
        raise OutputPathError(f"{', '.join(map(str, finals))}: the same path is given for two outputs")
    tmps = [_writable_temporary(path) for path in finals]
    renamed: list[Path] = []
    try:
        try:
            yield tmps
        except OSError as error:
            if error.filename not in {str(t) for t in tmps}:
                raise
            final = finals[[str(t) for t in tmps].index(error.filename)]
            raise OutputPathError(f"{final}: cannot write: {error.strerror or error}") from error
        for tmp, final in zip(tmps, finals):
            _replace(tmp, final)
            renamed.append(final)
    except BaseException:
        for final in renamed:
            final.unlink(missing_ok=True)
        raise
    finally:
        for tmp in tmps:
            tmp.unlink(missing_ok=True)


def _writable_temporary(path: Path) -> Path:
    """The temporary name for `path`, once its folder exists and a file can be created there."""
    if path.is_dir():
        raise OutputPathError(f"{path}: is a folder; expected the name of a file to write")
    blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise OutputPathError(f"{path}: cannot write: {blocking} is a file, not a folder")
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o644))
        tmp.unlink()
    except OSError as error:
        raise OutputPathError(f"{path}: cannot write: {error.strerror or error}") from error
    return tmp


def _replace(tmp: Path, path: Path) -> None:
    try:
        os.replace(tmp, path)
    except OSError as error:
        raise OutputPathError(f"{path}: cannot write: {error.strerror or error}") from error


def json_text(data: Any) -> str:
    """`data` as the project writes JSON files: indented, with a final newline."""
    return json.dumps(data, indent=1) + "\n"


def write_json(path: str | Path, data: Any) -> None:
    """Write `data` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json_text(data))
