"""How each dataset analog is staged: its classes, who is in a clip, where, and the camera.

`catalogue(cfg)` lists the config's action classes (label order); `stage(cfg, cls, world, rng,
number)` builds the scenes of one clip (three for NTU: one performance seen by its three
cameras). Everything that defines the world (classes, NTU subjects and setups) comes from
cfg.world_seed; everything else from the clip's own generator.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

import numpy as np
from scipy.ndimage import gaussian_filter1d

from .body import CHANNEL_INDEX, sample_shape
from .datasets import NTU_MUTUAL, SynthConfig, class_indices
from .motions import (
    VARIANT_OPS,
    ActionClass,
    Routine,
    Step,
    Style,
    family,
    perform,
    perform_pair,
    random_routine,
    sample_style,
    vocabulary,
)
from .noise import smooth_noise
from .scene import ACTOR, BACKGROUND_PARAMS, CLOTHING_PARTS, DISTRACTOR, OTHER_PLAYER, Camera, Person, Scene, look_at


def dataset_code(name: str) -> int:
    """A stable integer for a dataset name, to key its random streams."""
    return zlib.crc32(name.encode())


def world_rng(cfg: SynthConfig, *key: int) -> np.random.Generator:
    """A generator for one part of the world (classes, a subject, a setup), fixed by world_seed."""
    return np.random.default_rng(np.random.SeedSequence([cfg.world_seed, dataset_code(cfg.dataset), *key]))


# ---- classes -------------------------------------------------------------------------------

_CLASSES, _MUTUAL_CLASSES = 1, 2  # world_rng keys

# Volleyball group activities, in the dataset's label order and spelling, and the key players
# that decide them: (movement, team, court slot); the team is the class's side ("own") or the
# opponents ("other"). Slots: 0-2 front row (near the net), 3-5 back row.
VOLLEYBALL_CLASSES = ("r_set", "r_spike", "r-pass", "r_winpoint", "l_set", "l-spike", "l-pass", "l_winpoint")
VOLLEYBALL_KEY_PLAYERS: dict[str, tuple[tuple[str, str, int], ...]] = {
    "set": (("volley_set", "own", 1),),
    "spike": (("spike", "own", 0), ("block", "other", 1), ("block", "other", 2)),
    "pass": (("bump", "own", 4),),
    "winpoint": tuple(("celebrate", "own", slot) for slot in range(6)),
}


def catalogue(cfg: SynthConfig) -> list[ActionClass]:
    """The config's action classes, in label order.

    The classes are an evenly spread subset of the full dataset's (so a scaled-down NTU keeps
    its share of two-person actions); families are formed among them, family_size consecutive
    classes at a time, so a scaled-down FineGYM keeps its fine-grained siblings.
    """
    chosen = class_indices(cfg)
    details = vocabulary("detail")
    if cfg.dataset == "volleyball":
        return [ActionClass(i, VOLLEYBALL_CLASSES[i],
                            tuple(Routine((Step(move),)) for move, _, _ in VOLLEYBALL_KEY_PLAYERS[_activity(i)]))
                for i in chosen]
    if cfg.dataset == "gym":
        classes = _families(cfg, chosen, vocabulary("gym"), details, ("stand",), "G")
    else:
        if cfg.dataset in NTU_MUTUAL:  # NTU: daily actions (a quarter seated), A050-A060, A106-A120 mutual
            is_mutual = NTU_MUTUAL[cfg.dataset].__contains__
            words, postures, prefix = vocabulary("upper", "daily"), ("stand",) * 3 + ("sit",), "A"
        else:  # Kinetics: everyday, sport and acrobatic movements; every 12th class has two people
            is_mutual = lambda i: i % 12 == 11  # noqa: E731
            words, postures, prefix = vocabulary("upper", "daily", "sport", "gym"), ("stand",) * 4 + ("sit",), "K"
        single = [i for i in chosen if not is_mutual(i)]
        mutual = [i for i in chosen if is_mutual(i)]
        classes = {**_families(cfg, single, words, details, postures, prefix),
                   **_families(cfg, mutual, vocabulary(mutual=True), details, ("stand",), prefix, mutual=True)}
    return [classes[i] for i in chosen]


def _activity(index: int) -> str:
    """The group activity of a volleyball class ("r-pass" -> "pass")."""
    return VOLLEYBALL_CLASSES[index][2:].replace("-", "")


def _families(cfg: SynthConfig, indices: list[int], words: tuple[str, ...], details: tuple[str, ...],
              postures: tuple[str, ...], prefix: str, mutual: bool = False) -> dict[int, ActionClass]:
    """Classes numbered `indices`, cfg.family_size consecutive ones sharing a base routine."""
    out = {}
    ops = tuple(op for op in VARIANT_OPS if op != "extra") if mutual else VARIANT_OPS
    for first in range(0, len(indices), cfg.family_size):
        members = indices[first:first + cfg.family_size]
        rng = world_rng(cfg, _MUTUAL_CLASSES if mutual else _CLASSES, members[0])
        posture = str(rng.choice(postures))
        low, high = cfg.steps_per_class
        base = random_routine(rng, words, int(rng.integers(low, high + 1)), posture)
        for index, routine in zip(members, family(rng, base, len(members), cfg.class_similarity, details, ops)):
            routines = (replace(routine, pair_role=0), replace(routine, pair_role=1)) if mutual else (routine,)
            out[index] = ActionClass(index, f"{prefix}{index + 1:03d} {routine.describe()}", routines)
    return out


# ---- shared staging helpers ----------------------------------------------------------------

@dataclass
class Staged:
    """One clip's scene and its dataset identifiers (-1 where the dataset has none)."""

    scene: Scene
    frame_dir: str
    subject: int = -1
    view: int = -1
    setup: int = -1


def clip_length(cfg: SynthConfig, rng: np.random.Generator) -> int:
    """A clip length in frames: log-normal about the median (a long tail), clipped to the range."""
    low, high = cfg.length_range
    return int(np.clip(round(cfg.length_median * np.exp(rng.normal(0.0, cfg.length_sigma))), low, high))


def _span(rng: np.random.Generator, idle: float = 0.1) -> tuple[float, float]:
    """The part of the clip the action fills: a little idle time before and after."""
    return float(rng.uniform(0.0, idle)), float(1.0 - rng.uniform(0.0, idle))


_SKIN = np.array([[255, 224, 196], [234, 192, 134], [198, 134, 66], [141, 85, 36], [94, 54, 26]])
_HAIR = np.array([[20, 20, 20], [70, 45, 25], [140, 95, 50], [210, 180, 120], [160, 160, 160]])


def _colour(rng: np.random.Generator, saturation: tuple[float, float] = (0.2, 0.9),
            value: tuple[float, float] = (0.15, 0.95)) -> np.ndarray:
    h, s, v = rng.random(), rng.uniform(*saturation), rng.uniform(*value)
    k = (np.array([5.0, 3.0, 1.0]) + h * 6.0) % 6.0
    return np.round(255 * (v - v * s * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0))).astype(np.uint8)


def clothing(rng: np.random.Generator, top: np.ndarray | None = None,
             bottom: np.ndarray | None = None) -> np.ndarray:
    """Colours [len(CLOTHING_PARTS), 3] uint8: skin, hair, top, bottom, shoes."""
    parts = {"skin": _SKIN[rng.integers(len(_SKIN))], "hair": _HAIR[rng.integers(len(_HAIR))],
             "top": _colour(rng) if top is None else top, "bottom": _colour(rng) if bottom is None else bottom,
             "shoes": _colour(rng, value=(0.1, 0.9))}
    return np.stack([parts[name] for name in CLOTHING_PARTS]).astype(np.uint8)


def background(rng: np.random.Generator, **fixed: float) -> np.ndarray:
    """Backdrop parameters [len(BACKGROUND_PARAMS)] in [0, 1], random except those given."""
    values = rng.random(len(BACKGROUND_PARAMS))
    for name, value in fixed.items():
        values[BACKGROUND_PARAMS.index(name)] = value
    return values


def _heading_to(src: np.ndarray, dst: np.ndarray) -> float:
    """Heading in degrees of a body at `src` facing the point `dst` (xy)."""
    return float(np.degrees(np.arctan2(dst[1] - src[1], dst[0] - src[0])))


def _root_track(person_motion: np.ndarray, placement: tuple[float, float, float, float]) -> np.ndarray:
    """World xy of a person's pelvis over time [T, 2] (no forward kinematics needed)."""
    x, y = person_motion[:, CHANNEL_INDEX["x"]], person_motion[:, CHANNEL_INDEX["y"]]
    h = np.deg2rad(placement[3])
    return np.stack([placement[0] + np.cos(h) * x - np.sin(h) * y, placement[1] + np.sin(h) * x + np.cos(h) * y], -1)


def _idle(rng: np.random.Generator, frames: int, posture: str, words: tuple[str, ...], style: Style) -> np.ndarray:
    """A bystander's motion: a couple of idle movements spread over the clip."""
    routine = Routine(tuple(Step(str(w), tempo=float(rng.uniform(1.0, 2.0))) for w in rng.choice(words, 2)), posture)
    return perform(routine, frames, style, rng, _span(rng, 0.3))


def _calm(cfg: SynthConfig, rng: np.random.Generator) -> Style:
    return sample_style(rng, cfg.style_variation, 0.5 * cfg.motion_noise, cfg.left_handed_prob)


def _actors(cfg: SynthConfig, cls: ActionClass, frames: int, styles: list[Style],
            rng: np.random.Generator) -> list[np.ndarray]:
    """The motions of a class's actors (two partners in sync for two-person classes)."""
    span = _span(rng)
    if cls.actors == 2:
        return perform_pair(cls.routines, frames, styles, rng, span)
    return [perform(cls.routines[0], frames, styles[0], rng, span)]


# ---- NTU RGB+D: lab, three cameras, subjects and setups ------------------------------------

_NTU_VIEW_AZIMUTH = {1: 0.0, 2: 45.0, 3: -45.0}  # degrees about the scene centre; camera 1 frontal
_SUBJECT, _SETUP, _PERFORMANCES = 3, 4, 5  # world_rng keys


@dataclass
class NtuWorld:
    """The fixed people and rooms of an NTU analog."""

    subjects: dict[int, tuple[np.ndarray, Style, np.ndarray]]  # id -> body shape, style, clothing
    setups: dict[int, tuple[float, float, np.ndarray, int]]  # id -> camera height, distance, backdrop, seed


def ntu_world(cfg: SynthConfig) -> NtuWorld:
    """Subjects with their own proportions and motion style; setups with their camera height,
    distance and room."""
    subjects = {}
    for sid in range(1, cfg.num_subjects + 1):
        rng = world_rng(cfg, _SUBJECT, sid)
        shape = sample_shape(rng, height=float(rng.choice([1.62, 1.76])), height_sd=0.07)
        subjects[sid] = (shape, sample_style(rng, cfg.style_variation, cfg.motion_noise, cfg.left_handed_prob),
                         clothing(rng))
    setups = {}
    for setup in range(1, cfg.num_setups + 1):
        rng = world_rng(cfg, _SETUP, setup)
        setups[setup] = (float(rng.uniform(0.6, 1.8)), float(rng.uniform(2.6, 3.8)),
                         background(rng, clutter=0.2), int(rng.integers(2**31)))
    return NtuWorld(subjects, setups)


def ntu_performance(cfg: SynthConfig, cls: ActionClass, number: int) -> tuple[int, int, int]:
    """(subject, setup, replication) of a class's `number`-th performance: each class walks
    through all combinations in its own fixed random order, so names never repeat."""
    combos = cfg.num_subjects * cfg.num_setups * 2
    if number >= combos:
        raise ValueError(f"{cfg.dataset}: class {cls.index} has only {combos} distinct performances, "
                         f"asked for #{number}")
    order = world_rng(cfg, _PERFORMANCES, cls.index).permutation(combos)
    subject, rest = divmod(int(order[number]), cfg.num_setups * 2)
    setup, replication = divmod(rest, 2)
    return subject + 1, setup + 1, replication + 1


def stage_ntu(cfg: SynthConfig, cls: ActionClass, world: NtuWorld, rng: np.random.Generator,
              number: int) -> list[Staged]:
    """One performance seen by the three cameras. Replication 1 faces camera 2, replication 2
    faces camera 3 (as NTU subjects faced the left and the right camera)."""
    subject, setup, replication = ntu_performance(cfg, cls, number)
    height, distance, backdrop, backdrop_seed = world.setups[setup]
    cams = {view: distance * np.array([np.sin(np.deg2rad(a)), -np.cos(np.deg2rad(a))])
            for view, a in _NTU_VIEW_AZIMUTH.items()}
    facing = cams[2 if replication == 1 else 3]
    frames = clip_length(cfg, rng)

    ids = [subject]
    if cls.actors == 2:
        others = [s for s in world.subjects if s != subject]
        ids.append(int(rng.choice(others)))
    shapes = [world.subjects[s][0] for s in ids]
    styles = [world.subjects[s][1] for s in ids]
    motions = _actors(cfg, cls, frames, styles, rng)

    if cls.actors == 2:
        axis = np.deg2rad(rng.normal(0.0, 15.0) + (20.0 if replication == 1 else -20.0))
        gap = rng.uniform(1.1, 1.6) / 2
        spots = [gap * np.array([-np.cos(axis), -np.sin(axis)]), gap * np.array([np.cos(axis), np.sin(axis)])]
        headings = [_heading_to(spots[0], spots[1]), _heading_to(spots[1], spots[0])]
    else:
        spots = [rng.normal(0.0, 0.15, 2)]
        headings = [_heading_to(spots[0], facing) + rng.normal(0.0, 10.0)]
    persons = [Person(ACTOR, True, shape, motion, (float(p[0]), float(p[1]), 0.0, h), world.subjects[s][2])
               for shape, motion, p, h, s in zip(shapes, motions, spots, headings, ids)]

    staged = []
    target = np.array([0.0, 0.0, 0.9 + rng.normal(0.0, 0.05)])
    for view, xy in cams.items():
        camera = look_at(np.array([xy[0], xy[1], height]), target, 0.55 * cfg.img_shape[1], cfg.img_shape)
        camera = Camera(*(np.repeat(a, frames, axis=0) for a in (camera.K, camera.R, camera.t)))
        scene = Scene(persons, camera, cfg.img_shape, "lab", backdrop, backdrop_seed)
        name = f"{cfg.dataset}_S{setup:03d}C{view:03d}P{subject:03d}R{replication:03d}A{cls.index + 1:03d}"
        staged.append(Staged(scene, name, subject, view, setup))
    return staged


# ---- FineGYM: an athlete, audience and judges, a following broadcast camera ----------------

def stage_gym(cfg: SynthConfig, cls: ActionClass, rng: np.random.Generator, number: int) -> list[Staged]:
    """The athlete performs on the floor; the camera pans after them; audience sit in the stands
    at the edges of the picture and a judge stands by, moving a little."""
    frames = clip_length(cfg, rng)
    style = sample_style(rng, cfg.style_variation, cfg.motion_noise, cfg.left_handed_prob)
    shape = sample_shape(rng, height=1.58, height_sd=0.07)
    motion = _actors(cfg, cls, frames, [style], rng)[0]
    place = (0.0, 0.0, 0.0, float(rng.uniform(0.0, 360.0)))
    leotard = _colour(rng, saturation=(0.5, 1.0), value=(0.4, 1.0))
    athlete = Person(ACTOR, True, shape, motion, place, clothing(rng, top=leotard, bottom=leotard))

    track = _root_track(motion, place)
    centre = track.mean(0)
    azimuth = rng.uniform(0.0, 2 * np.pi)
    distance, cam_height = rng.uniform(9.0, 14.0), rng.uniform(1.5, 4.0)
    position = np.array([*(centre + distance * np.array([np.cos(azimuth), np.sin(azimuth)])), cam_height])
    follow = gaussian_filter1d(track, 6.0, axis=0, mode="nearest")
    target_xy = centre + min(1.0, cfg.camera_motion) * (follow - centre)
    target = np.column_stack([target_xy, np.full(frames, 0.9)])
    focal = rng.uniform(0.3, 0.5) * cfg.img_shape[0] * distance / 1.6
    zoom = 1.0 + 0.1 * cfg.camera_motion * np.sin(np.linspace(0.0, np.pi, frames) * rng.uniform(0.5, 1.5))
    camera = look_at(np.broadcast_to(position, (frames, 3)), target, focal * zoom, cfg.img_shape)

    persons = [athlete]
    n_others = int(rng.integers(cfg.distractors[0], cfg.distractors[1] + 1))
    forward = (centre - position[:2]) / np.linalg.norm(centre - position[:2])
    right = np.array([forward[1], -forward[0]])
    for k in range(n_others):
        judge = k == 0 and rng.random() < 0.7
        if judge:  # beside the floor, at the side of the picture
            spot = centre + rng.choice([-1.0, 1.0]) * rng.uniform(4.0, 6.0) * right + rng.uniform(-2.0, 2.0) * forward
            ground, posture, words = 0.0, "stand", ("shift_weight", "watch", "take_notes", "look_around")
        else:  # audience in the stands behind the floor, near the left or right edge of the picture
            depth = distance + rng.uniform(5.0, 12.0)
            edge = rng.choice([-1.0, 1.0]) * rng.uniform(0.25, 0.42)
            spot = position[:2] + depth * forward + edge * cfg.img_shape[1] / focal * depth * right
            ground, posture, words = float(rng.uniform(0.3, 2.5)), "sit", ("watch", "clap", "look_around", "nod")
        person_motion = _idle(rng, frames, posture, words, _calm(cfg, rng))
        persons.append(Person(DISTRACTOR, False, sample_shape(rng), person_motion,
                              (float(spot[0]), float(spot[1]), ground, _heading_to(spot, centre)), clothing(rng)))
    scene = Scene(persons, camera, cfg.img_shape, "gym",
                  background(rng, floor_hue=0.6, floor_saturation=0.6, clutter=0.3), int(rng.integers(2**31)))
    return [Staged(scene, f"gym_{cls.index:03d}_{number:04d}")]


# ---- Kinetics-400: anywhere, hand-held cameras, bystanders, things in the way ----------------

def stage_k400(cfg: SynthConfig, cls: ActionClass, rng: np.random.Generator, number: int) -> list[Staged]:
    """Actors somewhere in a cluttered scene, filmed by a moving, zooming hand-held camera that
    may frame them too tightly (truncated bodies); bystanders walk by; boxes stand in the way."""
    frames = clip_length(cfg, rng)
    styles = [sample_style(rng, cfg.style_variation, cfg.motion_noise, cfg.left_handed_prob)
              for _ in range(cls.actors)]
    shapes = [sample_shape(rng, height=1.25 if rng.random() < 0.15 else 1.70) for _ in range(cls.actors)]
    motions = _actors(cfg, cls, frames, styles, rng)
    heading = float(rng.uniform(0.0, 360.0))
    if cls.actors == 2:
        gap = rng.uniform(1.0, 1.6) / 2
        axis = np.deg2rad(heading)
        spots = [gap * np.array([-np.cos(axis), -np.sin(axis)]), gap * np.array([np.cos(axis), np.sin(axis)])]
        headings = [heading, heading + 180.0]
    else:
        spots, headings = [np.zeros(2)], [heading]
    persons = [Person(ACTOR, True, shape, motion, (float(p[0]), float(p[1]), 0.0, h), clothing(rng))
               for shape, motion, p, h in zip(shapes, motions, spots, headings)]

    tracks = np.stack([_root_track(m, p.placement) for m, p in zip(motions, persons)])
    centre = tracks.mean((0, 1))
    azimuth = np.deg2rad(heading + rng.uniform(-80.0, 80.0))
    distance = rng.uniform(2.5, 7.0)
    position = np.array([*(centre + distance * np.array([np.cos(azimuth), np.sin(azimuth)])), rng.uniform(0.8, 2.2)])
    tight = rng.random() < cfg.truncation
    fill = rng.uniform(0.9, 1.6) if tight else rng.uniform(0.4, 0.8)  # person height / image height
    aim = np.array([*centre, 1.2 if tight else 0.9])
    motion_scale = cfg.camera_motion
    shake = motion_scale * (0.15 * smooth_noise(rng, (frames, 3), 8.0) + 0.02 * smooth_noise(rng, (frames, 3), 2.0))
    pan = motion_scale * np.outer(np.linspace(-0.5, 0.5, frames), np.append(rng.normal(0.0, 0.6, 2), 0.0))
    target = aim + shake + pan
    cam_path = position + 0.3 * shake + 0.5 * pan
    focal = fill * cfg.img_shape[0] * distance / 1.7
    zoom = np.exp(motion_scale * rng.normal(0.0, 0.2) * np.linspace(0.0, 1.0, frames))
    camera = look_at(cam_path, target, focal * zoom, cfg.img_shape)

    forward = (centre - position[:2]) / np.linalg.norm(centre - position[:2])
    right = np.array([forward[1], -forward[0]])
    for _ in range(int(rng.integers(cfg.distractors[0], cfg.distractors[1] + 1))):
        spot = centre + rng.uniform(-3.0, 3.0) * right + rng.uniform(-1.0, 5.0) * forward
        style = _calm(cfg, rng)
        if rng.random() < 0.5:
            person_motion = perform(Routine((Step("walk", repeats=int(rng.integers(1, 4))),)), frames, style, rng,
                                    _span(rng, 0.3))
            heading_b = _heading_to(spot, spot + right * rng.choice([-1.0, 1.0]))
        else:
            person_motion = _idle(rng, frames, "stand", ("shift_weight", "look_around", "cross_arms", "phone_call"),
                                  style)
            heading_b = _heading_to(spot, position[:2]) + rng.normal(0.0, 40.0)
        persons.append(Person(DISTRACTOR, False, sample_shape(rng), person_motion,
                              (float(spot[0]), float(spot[1]), 0.0, heading_b), clothing(rng)))

    n_boxes = int(rng.integers(cfg.occluders[0], cfg.occluders[1] + 1))
    occluders = np.zeros((n_boxes, 6))
    for k in range(n_boxes):
        mid = position[:2] + rng.uniform(0.3, 0.7) * (centre - position[:2]) + rng.uniform(-0.8, 0.8) * right
        half = np.array([rng.uniform(0.25, 0.75), rng.uniform(0.15, 0.4)])
        occluders[k] = [*(mid - half), 0.0, *(mid + half), rng.uniform(0.4, 1.2)]
    colours = np.stack([_colour(rng) for _ in range(n_boxes)]) if n_boxes else np.zeros((0, 3), np.uint8)
    kind = str(rng.choice(["indoor", "outdoor"]))
    scene = Scene(persons, camera, cfg.img_shape, kind, background(rng, clutter=float(rng.uniform(0.5, 1.0))),
                  int(rng.integers(2**31)), occluders, colours)
    return [Staged(scene, f"k400_{cls.index:03d}_{number:04d}")]


# ---- Volleyball: two teams of six, a referee, a broadcast camera from the side ---------------

_COURT_SLOTS = np.array([[2.0, -3.0], [2.0, 0.0], [2.0, 3.0], [6.5, -3.0], [6.5, 0.0], [6.5, 3.0]])


def stage_volleyball(cfg: SynthConfig, cls: ActionClass, rng: np.random.Generator, number: int) -> list[Staged]:
    """12 players on a 18 x 9 m court (net at x = 0, left team at x < 0, seen from -y so the
    left team is on the left of the picture); the class's key players do its activity, the
    others stand ready and shuffle (sometimes with a decoy move); a referee stands by the net."""
    frames = clip_length(cfg, rng)
    side = 1.0 if cls.name.startswith("r") else -1.0  # +x is the right of the picture
    activity = _activity(cls.index)
    colours = {1.0: _colour(rng, saturation=(0.6, 1.0)), -1.0: _colour(rng, saturation=(0.6, 1.0))}
    keys = {(team, slot): routine
            for (_, team, slot), routine in zip(VOLLEYBALL_KEY_PLAYERS[activity], cls.routines)}

    key_players, others = [], []
    for team_side in (side, -side):
        team = "own" if team_side == side else "other"
        for slot, (depth, lateral) in enumerate(_COURT_SLOTS):
            spot = np.array([team_side * depth, lateral]) + rng.normal(0.0, 0.6, 2)
            heading = 180.0 if team_side > 0 else 0.0
            style = sample_style(rng, cfg.style_variation, cfg.motion_noise, cfg.left_handed_prob)
            routine = keys.get((team, slot))
            if routine is not None:
                role = ACTOR
                motion = perform(routine, frames, style, rng, _span(rng, 0.3))
            else:
                role = OTHER_PLAYER
                words = ("shuffle", "shift_weight", "look_around")
                if activity == "winpoint" and team == "other":
                    words = ("dejected",)
                elif rng.random() < 0.15 * (0.5 + cfg.class_similarity):
                    words = ("block", "bump", "volley_set")  # a decoy: a player moving for the ball
                motion = _idle(rng, frames, "ready" if words[0] != "dejected" else "stand", words, style)
            person = Person(role, True, sample_shape(rng, height=1.88, height_sd=0.07), motion,
                            (float(spot[0]), float(spot[1]), 0.0, heading), clothing(rng, top=colours[team_side]))
            (key_players if role == ACTOR else others).append(person)

    staff = []
    referee_spots = [(0.0, 5.5, 1.2), (9.5, -5.0, 0.0), (-9.5, 5.0, 0.0)]
    n_staff = min(len(referee_spots), int(rng.integers(cfg.distractors[0], cfg.distractors[1] + 1)))
    for x, y, ground in referee_spots[:n_staff]:
        motion = _idle(rng, frames, "stand", ("watch", "shift_weight", "look_around"), _calm(cfg, rng))
        place = (x, y, ground, _heading_to(np.array([x, y]), np.zeros(2)))
        staff.append(Person(DISTRACTOR, False, sample_shape(rng), motion, place,
                            clothing(rng, top=np.array([20, 20, 20], np.uint8))))

    pan = side * rng.uniform(0.0, 3.0) * cfg.camera_motion
    position = np.column_stack([np.linspace(0.0, pan, frames), np.full(frames, -22.0 + rng.normal(0, 1.0)),
                                np.full(frames, rng.uniform(5.0, 8.0))])
    target = np.column_stack([np.linspace(0.0, 1.2 * pan, frames), np.zeros(frames), np.full(frames, 1.0)])
    camera = look_at(position, target, rng.uniform(1.05, 1.25) * cfg.img_shape[1], cfg.img_shape)
    scene = Scene(key_players + others + staff, camera, cfg.img_shape, "court",
                  background(rng, floor_hue=0.07, floor_saturation=0.6, clutter=0.4), int(rng.integers(2**31)))
    return [Staged(scene, f"volleyball_{cls.index:03d}_{number:04d}")]


def stage(cfg: SynthConfig, cls: ActionClass, world: NtuWorld | None, rng: np.random.Generator,
          number: int) -> list[Staged]:
    """The scenes of one clip of class `cls` (one, or NTU's three camera views)."""
    if cfg.dataset in NTU_MUTUAL:
        if world is None:
            raise ValueError(f"{cfg.dataset}: staging an NTU clip needs the world of ntu_world(cfg)")
        return stage_ntu(cfg, cls, world, rng, number)
    return {"gym": stage_gym, "k400": stage_k400, "volleyball": stage_volleyball}[cfg.dataset](cfg, cls, rng, number)

