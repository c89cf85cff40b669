"""Downloads of official annotation files, atomic and with progress."""

from __future__ import annotations

import logging
import urllib.request
from pathlib import Path

from tqdm import tqdm

from posec3d.atomic import atomic_path

log = logging.getLogger("posec3d.fetch")


def download(url: str, out: str | Path, timeout: float = 60.0) -> None:
    """Fetch `url` into `out`; a failed or cut-short transfer leaves no file behind."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, atomic_path(out) as tmp:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tmp.open("wb") as f, tqdm(total=total, unit="B", unit_scale=True,
                                            desc=Path(out).name, mininterval=5) as bar:
                while chunk := response.read(1 << 20):
                    f.write(chunk)
                    bar.update(len(chunk))
            if total is not None and tmp.stat().st_size != total:
                raise OSError(f"got {tmp.stat().st_size} of {total} bytes")
    except OSError as err:
        raise FileNotFoundError(f"{url}: download failed ({err}); "
                                f"put the file at {out} yourself") from err
    log.info("fetched %s -> %s", url, out)
