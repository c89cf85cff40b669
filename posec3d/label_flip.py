"""Side-specific labels under a horizontal flip: the label a mirrored clip takes.

Volleyball's group activities name the team's side ("r_set", "l-spike"): a clip mirrored left to
right shows the other side's activity, so a flip in training must swap the label ("r_set" <->
"l_set"), not be switched off (Sec. 4.4.3's Volleyball keeps the paper's flip augmentation).
Sided names are "<l|r><_ or -><activity>", the Volleyball dataset's own spelling, which mixes
"_" and "-" ("r_spike" beside "l-spike"); names without a side keep their label.
"""

from __future__ import annotations

import numpy as np

SIDES = {"l": "r", "r": "l"}


def _side_of(name: str) -> tuple[str, str] | None:
    """(side, activity) of a sided class name, else None."""
    if len(name) > 2 and name[0] in SIDES and name[1] in "_-":
        return name[0], name[2:]
    return None


def flip_label_map(classes: list[str]) -> np.ndarray | None:
    """label -> the label of the mirrored clip (int64 [num_classes]); None when no class has a side.

    Raises ValueError naming a sided class whose other side is missing or given twice.
    """
    sided = {i: side for i, name in enumerate(classes) if (side := _side_of(name)) is not None}
    if not sided:
        return None
    by_side: dict[tuple[str, str], list[int]] = {}
    for i, side in sided.items():
        by_side.setdefault(side, []).append(i)
    mapping = np.arange(len(classes), dtype=np.int64)
    for i, (side, activity) in sided.items():
        other = by_side.get((SIDES[side], activity), [])
        if len(other) != 1:
            found = "missing" if not other else f"given {len(other)} times"
            raise ValueError(f"class {classes[i]!r} names a side, but its mirror "
                             f"({SIDES[side]}_{activity}) is {found}: a flip cannot swap it")
        mapping[i] = other[0]
    return mapping
