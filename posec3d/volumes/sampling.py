"""Which frames of a video go into a clip: uniform sampling (Sec. 3.2) and fixed-stride windows.

Both return frame indices [num_clips, clip_len] (int64), wrapped into [0, total_frames) so
that videos shorter than a clip loop around.

Uniform sampling is pyskl's `UniformSampleFrames` (p_interval=1): split the video into
`clip_len` segments of equal length and take one random frame from each. Test mode draws
from a generator seeded with `test_seed` on every call, so a video gets the same clips on
every call; pyskl does this by reseeding numpy's global generator, which we never touch. The
test-mode draws follow pyskl's exactly, so the indices are the ones pyskl tests on.

Fixed-stride sampling (the Figure 3 baseline) is mmaction2's `SampleFrames` with
`frame_interval=stride` and `out_of_bound_opt='loop'`: one window of `clip_len` frames,
`stride` apart, at a random start in training and at evenly spaced starts at test time.
"""

from __future__ import annotations

import numpy as np


def uniform_indices(
    total_frames: int,
    clip_len: int,
    num_clips: int = 1,
    *,
    test_mode: bool,
    rng: np.random.Generator | None = None,
    test_seed: int = 255,
) -> np.ndarray:
    """Uniformly sampled frame indices [num_clips, clip_len]: one frame per segment.

    Training draws from `rng` (required); test mode ignores it and gives fixed clips.
    """
    _check_counts(total_frames, clip_len, num_clips)
    if test_mode:
        state = np.random.RandomState(test_seed)
        randint, choice = state.randint, state.choice
    else:
        generator = _require_rng(rng)
        randint, choice = generator.integers, generator.choice
    clips = []
    for i in range(num_clips):
        if test_mode:
            # pyskl draws a crop ratio (p_interval) first; drawing it keeps our stream, and so
            # our test clips, identical to pyskl's.
            state.random_sample()
        if total_frames < clip_len:
            if test_mode:
                start = i if total_frames < num_clips else i * total_frames // num_clips
            else:
                start = int(randint(total_frames))
            inds = np.arange(start, start + clip_len)
        elif total_frames < 2 * clip_len:
            # clip_len <= n < 2 * clip_len: consecutive frames, with n - clip_len random
            # one-frame skips spread over the clip.
            skips = np.zeros(clip_len + 1, dtype=np.int64)
            skips[choice(clip_len + 1, total_frames - clip_len, replace=False)] = 1
            inds = np.arange(clip_len) + np.cumsum(skips)[:-1]
        else:
            bounds = np.arange(clip_len + 1) * total_frames // clip_len
            inds = bounds[:-1] + randint(np.diff(bounds))
        clips.append(inds)
    return np.mod(np.stack(clips), total_frames).astype(np.int64)


def fixed_stride_indices(
    total_frames: int,
    clip_len: int,
    stride: int,
    num_clips: int = 1,
    *,
    test_mode: bool,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Frame indices [num_clips, clip_len] of windows of `clip_len` frames `stride` apart.

    Training places the windows at random (from `rng`, required); test mode spreads them
    evenly. Frames past the end of the video loop back to its start.
    """
    _check_counts(total_frames, clip_len, num_clips)
    if stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride}")
    span = clip_len * stride
    if test_mode:
        starts = _test_window_starts(total_frames, span, num_clips)
    else:
        starts = _train_window_starts(total_frames, span, num_clips, _require_rng(rng))
    inds = starts[:, None] + np.arange(clip_len) * stride
    return np.mod(inds, total_frames).astype(np.int64)


def _train_window_starts(
    total_frames: int, span: int, num_clips: int, rng: np.random.Generator
) -> np.ndarray:
    # mmaction2 SampleFrames._get_train_clips (keep_tail_frames=False), case by case.
    avg_interval = (total_frames - span + 1) // num_clips
    if avg_interval > 0:
        return np.arange(num_clips) * avg_interval + rng.integers(avg_interval, size=num_clips)
    if total_frames > max(num_clips, span):
        return np.sort(rng.integers(total_frames - span + 1, size=num_clips))
    if avg_interval == 0:
        ratio = (total_frames - span + 1.0) / num_clips
        return np.around(np.arange(num_clips) * ratio).astype(np.int64)
    return np.zeros(num_clips, dtype=np.int64)


def _test_window_starts(total_frames: int, span: int, num_clips: int) -> np.ndarray:
    # mmaction2 SampleFrames._get_test_clips (twice_sample=False): window centres evenly spaced.
    if total_frames < span:
        return np.zeros(num_clips, dtype=np.int64)
    avg_interval = (total_frames - span + 1) / num_clips
    return (np.arange(num_clips) * avg_interval + avg_interval / 2.0).astype(np.int64)


def _check_counts(total_frames: int, clip_len: int, num_clips: int) -> None:
    for name, value in (("total_frames", total_frames), ("clip_len", clip_len),
                        ("num_clips", num_clips)):
        if value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value}")


def _require_rng(rng: np.random.Generator | None) -> np.random.Generator:
    if rng is None:
        raise ValueError("training-mode sampling needs an `rng` (numpy Generator)")
    return rng
