"""Random generators keyed by a seed and a clip's name.

Rendering, synthetic sensor noise, estimator frame offsets and Table 5's keypoint drops all
draw per clip from (seed, crc32 of the clip's name): a clip gets the same draws whatever else
is in the dataset, in whatever order or process it is handled.
"""

from __future__ import annotations

import zlib

import numpy as np


def named_rng(seed: int, name: str) -> np.random.Generator:
    """The generator of the clip (or any item) called `name` under `seed`."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(name.encode())]))
