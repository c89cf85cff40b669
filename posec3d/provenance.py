"""File times from Snakemake's provenance records, for outputs that arrive by `dvc pull`.

DVC does not keep modification times: a pulled file gets the time of the checkout, in no
particular order, and Snakemake reruns a job whose input looks newer than its output. But
Snakemake's own record of each output (.snakemake/metadata, which DVC versions with the
artefacts) holds when the job that wrote it ended. Putting a pulled output back at that time
restores the order the files were made in, so a fresh clone that pulls the artefacts runs no job.

Only outputs newer than their record are touched: a file that Snakemake wrote itself is never
newer than its job's end; a pulled one is.
"""

from __future__ import annotations

import json
import os
from base64 import urlsafe_b64decode
from pathlib import Path

METADATA = Path(".snakemake") / "metadata"
SLACK_SECONDS = 1.0


def _recorded_path(record: Path, metadata: Path) -> str:
    """The output path a metadata file stands for (Snakemake splits long names into folders)."""
    parts = record.relative_to(metadata).parts
    encoded = "".join(part.removeprefix("@") for part in parts)
    return urlsafe_b64decode(encoded.encode()).decode()


def restore_output_times(workdir: str | Path = ".") -> list[str]:
    """Set every output newer than its provenance record back to the record's end time.

    Returns the outputs whose times were restored (relative to `workdir`).
    """
    workdir = Path(workdir)
    metadata = workdir / METADATA
    if not metadata.is_dir():
        return []
    restored = []
    for record in sorted(p for p in metadata.rglob("*") if p.is_file()):
        try:
            ended = float(json.loads(record.read_text())["endtime"])
            output = workdir / _recorded_path(record, metadata)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            continue  # not a finished job's record
        # a directory output (rendered videos, estimator frames): its files and itself
        paths = [*sorted(output.rglob("*")), output] if output.is_dir() else [output] if output.is_file() else []
        newer = [path for path in paths if path.stat().st_mtime > ended + SLACK_SECONDS]
        for path in newer:
            os.utime(path, (ended, ended))
        if newer:
            restored.append(str(output.relative_to(workdir)))
    return restored
