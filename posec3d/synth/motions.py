"""Routines, how a person performs them, and how action classes are built procedurally.

An action class is a `Routine`: a sequence of `Step`s, each a named movement of
`primitives.PRIMITIVES` (or of `primitives.MUTUAL` for two-person classes) with a repeat count,
amplitude, tempo, side and pause. A person performs a routine with their own `Style`
(handedness, amplitude, timing, wobble) and the routine is stretched over the whole clip, so a
long clip is a slow performance and the telling step may come at any point of it.

Fine-grained classes come in families: a random base routine and variants that differ from it
in one subtle detail (one more repetition, two steps swapped, one step slower, a small extra
move, the other side, a smaller movement, a pause): see `family`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.interpolate import PchipInterpolator

from .body import ANGLE_CHANNELS, CHANNEL_INDEX, CHANNELS
from .noise import smooth_noise
from .primitives import CUMULATIVE, LATERAL, MUTUAL, POSTURES, PRIMITIVES, Primitive


@dataclass(frozen=True)
class Step:
    """One movement of a routine and how it is performed."""

    movement: str
    repeats: int = 1
    amplitude: float = 1.0
    tempo: float = 1.0  # duration multiplier: 2 is twice as slow
    mirrored: bool = False  # performed with the other side
    hold: float = 0.0  # beats of stillness after the movement

    def describe(self) -> str:
        text = self.movement + (f" x{self.repeats}" if self.repeats > 1 else "")
        notes = [f"tempo {self.tempo:.2g}" if self.tempo != 1 else "",
                 f"amp {self.amplitude:.2g}" if self.amplitude != 1 else "",
                 "other side" if self.mirrored else "", f"hold {self.hold:.2g}" if self.hold else ""]
        notes = [n for n in notes if n]
        return text + (f" ({', '.join(notes)})" if notes else "")


@dataclass(frozen=True)
class Routine:
    """What one action class's actor does. `pair_role` 0/1 picks an actor of MUTUAL steps."""

    steps: tuple[Step, ...]
    posture: str = "stand"
    pair_role: int | None = None

    def describe(self) -> str:
        start = "" if self.posture == "stand" else f"[{self.posture}] "
        return start + " > ".join(step.describe() for step in self.steps)

    def movements(self) -> list[Primitive]:
        """The movement of each step, for this routine's actor (the first of a pair if unset)."""
        return [movement(step.movement, self.pair_role) for step in self.steps]


def movement(name: str, pair_role: int | None = None) -> Primitive:
    """The named movement; for a two-person movement, the part of actor `pair_role` (0 or 1)."""
    if name in MUTUAL:
        return MUTUAL[name][pair_role or 0]
    return PRIMITIVES[name]


@dataclass(frozen=True)
class ActionClass:
    """A class of the catalogue: `index` in the full-size dataset, one routine per actor."""

    index: int
    name: str
    routines: tuple[Routine, ...]

    @property
    def actors(self) -> int:
        return len(self.routines)


@dataclass(frozen=True)
class Style:
    """How one person moves."""

    left_handed: bool = False
    amplitude: float = 1.0  # scales every movement
    amplitude_jitter: float = 0.08  # relative spread of each key's amplitude
    timing_jitter: float = 0.2  # log-normal spread of each key's duration
    noise: float = 3.0  # degrees of smooth wobble on the joint angles


def sample_style(rng: np.random.Generator, variation: float = 1.0, noise: float = 3.0,
                 left_handed_prob: float = 0.0) -> Style:
    """A random person's style; `variation` scales the person-to-person spread."""
    return Style(left_handed=bool(rng.random() < left_handed_prob),
                 amplitude=float(np.exp(rng.normal(0.0, 0.12 * variation))),
                 amplitude_jitter=0.08 * variation, timing_jitter=0.25 * variation,
                 noise=float(noise * np.exp(rng.normal(0.0, 0.3 * variation))))


# ---- from a routine to channel trajectories ------------------------------------------------

def _resolve(channel: str, mirror: bool) -> list[tuple[int, float]]:
    """Body channels (index, sign) that a movement channel drives, for a possibly mirrored side."""
    side, _, rest = channel.partition("_")
    if side in ("d", "o", "both"):
        sides = {"d": ["r"], "o": ["l"], "both": ["l", "r"]}[side]
        if mirror:
            sides = [{"l": "r", "r": "l"}[s] for s in sides]
        return [(CHANNEL_INDEX[f"{s}_{rest}"], 1.0) for s in sides]
    return [(CHANNEL_INDEX[channel], -1.0 if mirror and channel in LATERAL else 1.0)]


def _posture(name: str) -> np.ndarray:
    vector = np.zeros(len(CHANNELS))
    for channel, value in POSTURES[name].items():
        for index, sign in _resolve(channel, False):
            vector[index] = sign * value
    return vector


_X, _Y, _HEADING = CHANNEL_INDEX["x"], CHANNEL_INDEX["y"], CHANNEL_INDEX["heading"]
_PITCH, _ROLL = CHANNEL_INDEX["body_pitch"], CHANNEL_INDEX["body_roll"]


def compile_keys(routine: Routine, style: Style, rng: np.random.Generator,
                 handed: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Keyframes of a performed routine: beats since the previous key [K] and values [K, D].

    Joint-angle targets scale about the current posture by the step's, the person's and a
    per-key random amplitude; cumulative channels (position, heading, body rotation) carry over
    from movement to movement. `handed=False` ignores the person's handedness (partners in a
    two-person action use matching sides).
    """
    posture = _posture(routine.posture)
    beats, values = [0.0], [posture.copy()]
    state = posture.copy()  # holds the cumulative channels between movements
    for step, move in zip(routine.steps, routine.movements()):
        mirror = (style.left_handed and handed) != step.mirrored
        for _ in range(step.repeats):
            start = state.copy()
            for number, (key_beats, pose) in enumerate(move.keys):
                last = number == len(move.keys) - 1
                base = _posture(move.posture) if last and move.posture else posture
                amplitude = step.amplitude * style.amplitude * float(np.exp(rng.normal(0, style.amplitude_jitter)))
                state = _key(pose, base, start, amplitude, mirror)
                beats.append(key_beats * step.tempo)
                values.append(state)
            if move.posture:
                posture = _posture(move.posture)
        if step.hold:
            beats.append(step.hold)
            values.append(values[-1])
    return np.asarray(beats), np.asarray(values)


def _key(pose: dict, base: np.ndarray, start: np.ndarray, amplitude: float, mirror: bool) -> np.ndarray:
    value = base.copy()
    moved = dict.fromkeys(CUMULATIVE, 0.0)
    for channel, target in pose.items():
        if channel in CUMULATIVE:
            moved[channel] = -target if mirror and channel in LATERAL else target
            continue
        for index, sign in _resolve(channel, mirror):
            value[index] = base[index] + amplitude * (sign * target - base[index])
    heading = np.deg2rad(start[_HEADING])
    forward, sideways = amplitude * moved["forward"], amplitude * moved["sideways"]
    value[_X] = start[_X] + np.cos(heading) * forward - np.sin(heading) * sideways
    value[_Y] = start[_Y] + np.sin(heading) * forward + np.cos(heading) * sideways
    value[_HEADING] = start[_HEADING] + moved["turn"]
    value[_PITCH] = start[_PITCH] + moved["body_pitch"]
    value[_ROLL] = start[_ROLL] + moved["body_roll"]
    return value


def beat_jitter(n_keys: int, style: Style, rng: np.random.Generator) -> np.ndarray:
    """Per-key duration factors [K] (log-normal): the person's uneven timing."""
    return np.exp(rng.normal(0.0, style.timing_jitter, n_keys))


def key_trajectory(beats: np.ndarray, values: np.ndarray, n_frames: int, span: tuple[float, float],
                   jitter: np.ndarray | None = None) -> np.ndarray:
    """Channel trajectories [T, D]: keys spread over frames span[0]..span[1] (fractions of the
    clip), joined by monotone cubic interpolation and held before and after."""
    durations = beats[1:] * (1.0 if jitter is None else jitter[1:])
    times = np.concatenate([[0.0], np.cumsum(durations)])
    first, last = span[0] * (n_frames - 1), span[1] * (n_frames - 1)
    times = first + (last - first) * times / times[-1]
    frames = np.clip(np.arange(n_frames, dtype=np.float64), times[0], times[-1])
    return PchipInterpolator(times, values, axis=0)(frames)


# Relative wobble of each angle channel under `Style.noise` (arms wobble most, the body least).
_NOISE_WEIGHT = np.array([0.2 if c.startswith("body") else 0.5 if c.startswith("torso") else
                          0.4 if "hip" in c else 0.6 if "knee" in c else 1.5 if "twist" in c else
                          1.2 if "elbow" in c else 1.0 for c in ANGLE_CHANNELS])


def add_wobble(trajectory: np.ndarray, degrees: float, rng: np.random.Generator) -> np.ndarray:
    """Adds smooth random joint-angle noise (a few frames' correlation) to trajectories [T, D]."""
    if degrees <= 0:
        return trajectory
    n_angles = len(ANGLE_CHANNELS)
    out = trajectory.copy()
    out[:, :n_angles] += degrees * _NOISE_WEIGHT * smooth_noise(rng, (len(trajectory), n_angles), 3.0)
    return out


def perform(routine: Routine, n_frames: int, style: Style, rng: np.random.Generator,
            span: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """One person performing a routine over a clip: channel trajectories [T, D]."""
    beats, values = compile_keys(routine, style, rng)
    trajectory = key_trajectory(beats, values, n_frames, span, beat_jitter(len(beats), style, rng))
    return add_wobble(trajectory, style.noise, rng)


def perform_pair(routines: Sequence[Routine], n_frames: int, styles: Sequence[Style],
                 rng: np.random.Generator, span: tuple[float, float] = (0.0, 1.0)) -> list[np.ndarray]:
    """Two partners performing a two-person routine in sync (shared timing, matching sides)."""
    keys = [compile_keys(r, s, rng, handed=False) for r, s in zip(routines, styles)]
    jitter = beat_jitter(len(keys[0][0]), styles[0], rng)
    return [add_wobble(key_trajectory(b, v, n_frames, span, jitter), s.noise, rng)
            for (b, v), s in zip(keys, styles)]


# ---- procedural classes --------------------------------------------------------------------

def vocabulary(*tags: str, mutual: bool = False) -> tuple[str, ...]:
    """Names of the movements carrying any of `tags` (or of the two-person movements)."""
    if mutual:
        return tuple(sorted(MUTUAL))
    return tuple(sorted(n for n, p in PRIMITIVES.items() if p.tags & set(tags)))


def _allowed(name: str, posture: str) -> bool:
    """Whether a movement can follow in `posture` (seated people only move their upper body)."""
    move = movement(name)
    if posture in ("stand", "ready"):
        return move.posture != "stand"
    if posture == "lie":
        return False
    return "upper" in move.tags or move.posture == "stand"


def is_consistent(routine: Routine) -> bool:
    """Every step can be done from the posture the previous steps leave the body in."""
    posture = routine.posture
    for step in routine.steps:
        if not _allowed(step.movement, posture):
            return False
        posture = movement(step.movement).posture or posture
    return True


def random_routine(rng: np.random.Generator, words: Sequence[str], n_steps: int,
                   posture: str = "stand") -> Routine:
    """A random base routine of `n_steps` movements drawn from `words`."""
    steps: list[Step] = []
    current = posture
    for _ in range(100 * n_steps):
        if len(steps) == n_steps:
            break
        name = str(rng.choice(words))
        if (steps and steps[-1].movement == name) or not _allowed(name, current):
            continue
        move = movement(name)
        if move.posture == "lie" and len(steps) < n_steps - 1:
            continue  # falling down ends a routine
        steps.append(Step(name, repeats=1 if move.posture else int(rng.choice([1, 1, 1, 2, 2, 3])),
                          tempo=round(float(rng.uniform(0.8, 1.25)), 2),
                          hold=float(rng.choice([0.0, 0.0, 0.5]))))
        current = move.posture or current
    if len(steps) < n_steps:
        raise RuntimeError(f"could not draw a {n_steps}-step routine in posture {posture!r} from {words}")
    return Routine(tuple(steps), posture)


VARIANT_OPS = ("count", "order", "timing", "extra", "side", "amplitude", "hold")


def vary(routine: Routine, op: str, rng: np.random.Generator, similarity: float,
         details: Sequence[str]) -> Routine | None:
    """`routine` changed by one subtle detail (None when `op` does not apply to it).

    `similarity` in [0, 1] makes graded details subtler: 0 a clear difference, 1 a faint one.
    """
    strength = 1.0 - 0.8 * similarity
    steps = list(routine.steps)
    i = int(rng.integers(len(steps)))
    if op == "count":
        if routine.movements()[i].posture:
            return None  # sitting down twice is not a variant
        steps[i] = replace(steps[i], repeats=steps[i].repeats + 1 if steps[i].repeats < 3 else 2)
    elif op == "order":
        pairs = [j for j in range(len(steps) - 1) if steps[j].movement != steps[j + 1].movement]
        if not pairs:
            return None
        j = int(rng.choice(pairs))
        steps[j], steps[j + 1] = steps[j + 1], steps[j]
    elif op == "timing":
        factor = 1.0 + 1.2 * strength
        steps[i] = replace(steps[i], tempo=round(steps[i].tempo * (factor if rng.random() < 0.5 else 1 / factor), 2))
    elif op == "extra":
        if not details:
            return None
        steps.insert(int(rng.integers(len(steps) + 1)),
                     Step(str(rng.choice(details)), amplitude=round(0.4 + 0.6 * strength, 2)))
    elif op == "side":
        lateral = [j for j, m in enumerate(routine.movements()) if m.lateral]
        if not lateral:
            return None
        j = int(rng.choice(lateral))
        steps[j] = replace(steps[j], mirrored=not steps[j].mirrored)
    elif op == "amplitude":
        steps[i] = replace(steps[i], amplitude=round(steps[i].amplitude * (1.0 - 0.5 * strength), 2))
    elif op == "hold":
        steps[i] = replace(steps[i], hold=round(steps[i].hold + 0.5 + 1.5 * strength, 2))
    else:
        raise ValueError(f"unknown variant op {op!r}; known: {', '.join(VARIANT_OPS)}")
    varied = replace(routine, steps=tuple(steps))
    return varied if is_consistent(varied) else None


def family(rng: np.random.Generator, base: Routine, size: int, similarity: float,
           details: Sequence[str], ops: Sequence[str] = VARIANT_OPS) -> list[Routine]:
    """`size` distinct routines: the base, then variants differing from it in one detail each."""
    members = [base]
    for _ in range(50 * size):
        if len(members) == size:
            return members
        variant = vary(base, str(rng.choice(ops)), rng, similarity, details)
        if variant is not None and variant not in members:
            members.append(variant)
    raise RuntimeError(f"could not find {size} distinct variants of {base.describe()}")
