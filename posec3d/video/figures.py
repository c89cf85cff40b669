"""What stands in a scene, as flat drawing primitives with a depth per frame.

A person is the body's capsules (posec3d.synth.body.CAPSULES) between its 3D joints and
auxiliary points, projected through the frame's camera with perspective radii, coloured by
clothing part, plus a filled torso, hands, shoes and a head with hair and eyes. An occluder
box is its projected silhouette with a lit top. `Primitives` holds everything of a clip so the
renderer can sort one frame's primitives far to near (painter's algorithm) and draw them.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from posec3d.synth.body import CAPSULES, CROWN, HEAD, NECK, PELVIS, capsule_radii

SHIFT = 4  # sub-pixel bits of cv2 drawing coordinates
_ONE = 1 << SHIFT
_LIMIT = 4000.0  # pixels: coordinates are clipped here so shifted ints stay small
NEAR = 0.1

# Primitive kinds.
CAPSULE, DISC, HEAD_BALL, TORSO, BOX = range(5)

# Clothing part of each capsule, in CAPSULES order; "sleeve" and "leg" parts are decided per
# person (long or short sleeves / trousers or shorts).
_CAPSULE_PART = ("head", "skin", "top", "top", "top", "top", "sleeve", "top", "sleeve",
                 "bottom", "leg", "bottom", "leg")
_OUTLINED = {5, 6, 7, 8, 9, 10, 11, 12}  # limbs get a darker rim, so they stand out over the body
_DISCS = ((9, "skin", 0.045), (10, "skin", 0.045), (15, "shoes", 0.055), (16, "shoes", 0.055))


@dataclass
class Primitives:
    """A clip's drawing primitives: depth [T, Q] (camera z, metres; inf = not drawn) and, per
    primitive q, its kind, its draw data per frame, and its colour per frame."""

    depth: np.ndarray
    kinds: list[int]
    data: list[list]
    colours: list[list]


def _part_colours(clothing: np.ndarray, parts: list[str], long_sleeves: bool, trousers: bool) -> dict[str, np.ndarray]:
    c = {name: clothing[i].astype(np.float64) for i, name in enumerate(parts)}
    c["head"] = c["skin"]
    c["sleeve"] = c["top"] if long_sleeves else c["skin"]
    c["leg"] = c["bottom"] if trousers else c["skin"]
    return c


def _pix(uv: np.ndarray) -> np.ndarray:
    return np.round(np.clip(uv, -_LIMIT, _LIMIT) * _ONE).astype(np.int64)


def person_primitives(clip: dict, parts: list[str], K: np.ndarray, size: tuple[int, int],
                      rng: np.random.Generator) -> Primitives:
    """The primitives of every person of `clip` for frame cameras K [T,3,3] (video pixels) and
    frames of `size` (h, w); persons wholly outside a frame are not drawn in it."""
    R = np.asarray(clip["camera_R"], np.float64)
    t = np.asarray(clip["camera_t"], np.float64)
    points = np.concatenate([np.asarray(clip["keypoint_3d"], np.float64),
                             np.asarray(clip["body_aux_3d"], np.float64)], axis=2)  # [M, T, 21, 3]
    frames = len(R)
    if len(points) == 0:
        return Primitives(np.zeros((frames, 0)), [], [], [])
    cam = np.einsum("tij,mtpj->mtpi", R, points) + t[None, :, None, :]
    z = cam[..., 2]
    safe = np.maximum(z, NEAR)
    f = K[None, :, None, 0, 0]
    uv = np.stack([f * cam[..., 0] / safe + K[None, :, None, 0, 2], f * cam[..., 1] / safe + K[None, :, None, 1, 2]],
                  -1)
    pix = _pix(uv).tolist()  # [M][T][21][2], plain ints for cv2
    radii = capsule_radii(np.asarray(clip["body_shape"], np.float64))  # [M, C]
    body_z = 0.5 * (z[..., NECK] + z[..., PELVIS])  # [M, T]

    depth, kinds, data, colours = [], [], [], []

    def add(kind: int, zq: np.ndarray, visible: np.ndarray, items: list, colour: np.ndarray) -> None:
        # colour [M, T, 3] shaded: the far side of a body is a little darker
        shade = 1.0 - 0.25 * np.clip((zq - body_z) / 0.3, 0.0, 1.0)
        depth.append(np.where(visible, zq, np.inf))
        kinds.append(kind)
        data.append(items)
        colours.append((colour * shade[..., None]).round().tolist())

    persons = points.shape[0]
    looks = [_part_colours(np.asarray(clip["clothing"][m]), parts, rng.random() < 0.5, rng.random() < 0.7)
             for m in range(persons)]

    def colour_of(part: str) -> np.ndarray:
        return np.broadcast_to(np.stack([look[part] for look in looks])[:, None, :], (persons, frames, 3))

    px_per_m = f / safe  # [M, T, 21]
    reach = (px_per_m * radii.max(-1)[:, None, None]).max(-1)[..., None]  # widest part in pixels [M, T, 1]
    h, w = size
    on_screen = ((uv[..., 0] > -reach) & (uv[..., 0] < w + reach) & (uv[..., 1] > -reach)
                 & (uv[..., 1] < h + reach)).any(-1)
    in_front = (z > NEAR) & on_screen[..., None]
    for c, (a, b, _) in enumerate(CAPSULES):
        if a == b:
            continue
        r = 0.5 * (px_per_m[..., a] + px_per_m[..., b]) * radii[:, c, None]  # [M, T]
        thick = np.maximum(1, np.round(2 * r)).astype(int)
        thick = thick.tolist()
        items = [[(pix[m][i][a], pix[m][i][b], thick[m][i], c in _OUTLINED)
                  for i in range(frames)] for m in range(persons)]
        add(CAPSULE, 0.5 * (z[..., a] + z[..., b]), in_front[..., a] & in_front[..., b], items,
            colour_of(_CAPSULE_PART[c]))

    torso = [5, 6, 12, 11]
    items = [[[pix[m][i][j] for j in torso] for i in range(frames)] for m in range(persons)]
    add(TORSO, z[..., torso].mean(-1) + 0.01, in_front[..., torso].all(-1), items, colour_of("top"))

    for joint, part, radius in _DISCS:
        r = np.maximum(1, np.round(px_per_m[..., joint] * radius * _ONE)).astype(int).tolist()
        items = [[(pix[m][i][joint], r[m][i]) for i in range(frames)] for m in range(persons)]
        add(DISC, z[..., joint] - 0.01, in_front[..., joint], items, colour_of(part))

    head_r = (px_per_m[..., HEAD] * radii[:, 0, None]).tolist()  # [M][T] pixels
    facing = (z[..., 0] < z[..., HEAD]).tolist()  # nose nearer than the head centre
    caps = _pix(uv[..., HEAD, :] + 0.45 * (uv[..., CROWN, :] - uv[..., HEAD, :])).tolist()
    items = []
    for m in range(persons):
        hair = tuple(looks[m]["hair"].tolist())
        row = []
        for i in range(frames):
            r = head_r[m][i]
            if facing[m][i]:  # hair cap toward the crown, face below it
                row.append((pix[m][i][HEAD], round(r * _ONE), caps[m][i], round(0.75 * r * _ONE),
                            pix[m][i][1:3] if r >= 4.0 else [], hair))
            else:  # the back of the head: hair all over
                row.append((pix[m][i][HEAD], round(r * _ONE), None, 0, [], hair))
        items.append(row)
    add(HEAD_BALL, z[..., HEAD], in_front[..., HEAD], items, colour_of("head"))

    # flatten persons: primitive q of person m becomes one entry
    depth_all = np.concatenate([d.T for d in depth], axis=1)  # [T, Q*M] ordered (primitive, person)
    out_kinds, out_data, out_colours = [], [], []
    for kind, items, cols in zip(kinds, data, colours):
        for m in range(persons):
            out_kinds.append(kind)
            out_data.append(items[m])
            out_colours.append(cols[m])
    return Primitives(depth_all, out_kinds, out_data, out_colours)


def box_primitives(clip: dict, K: np.ndarray) -> Primitives:
    """The primitives of the clip's occluder boxes: silhouette and, when seen from above, the top."""
    boxes = np.asarray(clip["occluders"], np.float64).reshape(-1, 6)
    R = np.asarray(clip["camera_R"], np.float64)
    t = np.asarray(clip["camera_t"], np.float64)
    frames = len(R)
    if len(boxes) == 0:
        return Primitives(np.zeros((frames, 0)), [], [], [])
    cam_height = -np.einsum("tji,tj->ti", R, t)[:, 2]
    corners = np.array([[[b[0] if i & 1 else b[3], b[1] if i & 2 else b[4], b[2] if i & 4 else b[5]]
                         for i in range(8)] for b in boxes])  # [N, 8, 3]; i & 4 == 0: top face
    cam = np.einsum("tij,npj->ntpi", R, corners) + t[None, :, None, :]
    z = cam[..., 2]
    safe = np.maximum(z, NEAR)
    uv = np.stack([K[None, :, None, 0, 0] * cam[..., 0] / safe + K[None, :, None, 0, 2],
                   K[None, :, None, 1, 1] * cam[..., 1] / safe + K[None, :, None, 1, 2]], -1)
    pix = _pix(uv)
    depth = np.where((z > NEAR).all(-1), z.mean(-1), np.inf).T  # [T, N]
    colours = np.asarray(clip["occluder_colours"], np.float64).reshape(-1, 3)
    data = []
    for n, box in enumerate(boxes):
        top = cam_height > box[5]
        data.append([(cv2.convexHull(pix[n, i].astype(np.int32)), pix[n, i, [0, 1, 3, 2]] if top[i] else None)
                     for i in range(frames)])
    cols = [[colours[n].tolist()] * frames for n in range(len(boxes))]
    return Primitives(depth, [BOX] * len(boxes), data, cols)


def draw(frame: np.ndarray, kind: int, item: tuple, colour: list[float]) -> None:
    """Draw one primitive into `frame` (uint8 [h, w, 3], RGB)."""
    aa = cv2.LINE_AA
    if kind == CAPSULE:
        a, b, thick, outlined = item
        if outlined and thick > 1:
            cv2.line(frame, a, b, [0.55 * c for c in colour], thick + 2, aa, SHIFT)
        cv2.line(frame, a, b, colour, thick, aa, SHIFT)
    elif kind == DISC:
        centre, r = item
        cv2.circle(frame, centre, r, colour, -1, aa, SHIFT)
    elif kind == TORSO:
        cv2.fillConvexPoly(frame, np.asarray(item, np.int32), colour, aa, SHIFT)
    elif kind == HEAD_BALL:
        centre, r, cap, cap_r, eyes, hair = item
        if cap is None:
            cv2.circle(frame, centre, r, hair, -1, aa, SHIFT)
            return
        cv2.circle(frame, centre, r, colour, -1, aa, SHIFT)
        cv2.circle(frame, cap, cap_r, hair, -1, aa, SHIFT)
        for eye in eyes:
            cv2.circle(frame, eye, max(_ONE, r // 8), (25, 20, 20), -1, aa, SHIFT)
    elif kind == BOX:
        hull, top = item
        cv2.fillConvexPoly(frame, hull, [0.75 * c for c in colour], aa, SHIFT)
        if top is not None:
            cv2.fillConvexPoly(frame, top.astype(np.int32), colour, aa, SHIFT)
