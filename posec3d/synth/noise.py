"""Smooth random noise: the one source of wobble, shake and drift in the synthetic world."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d


def smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], sigma: float, axis: int = 0) -> np.ndarray:
    """Unit-variance Gaussian noise of `shape`, correlated over about `sigma` steps along `axis`."""
    white = rng.normal(size=shape)
    # A Gaussian filter of width sigma leaves white noise with variance 1 / (2 sqrt(pi) sigma).
    return gaussian_filter1d(white, sigma, axis=axis, mode="nearest") * np.sqrt(2.0 * np.sqrt(np.pi) * sigma)
