"""The named movements that synthetic action classes are built from.

A movement is a list of keys: (beats since the previous key, {channel: target}). Targets are
joint angles in degrees of `body.CHANNELS`, with sides named relative to the performer:
`d_` is the dominant side, `o_` the other, `both_` both (a left-handed person, or a step
performed with the other side, swaps them and mirrors the lateral channels). A channel a key does
not name stays at the current posture, so `{}` returns to it.

Cumulative channels are relative to where the movement started and carry over to the next one:
`forward` / `sideways` (metres, in the body's frame at the start), `turn` (degrees about the
vertical), `body_pitch` / `body_roll` (degrees; a salto is body_pitch -360).

Vocabularies (tags) say where a movement is used: "upper" (also done seated), "daily" (standing
daily actions), "sport", "gym", "detail" (small extra moves that tell fine-grained classes
apart), "idle" (what bystanders do), "volley" (volleyball).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

Key = tuple[float, Mapping[str, float]]

CUMULATIVE = ("forward", "sideways", "turn", "body_pitch", "body_roll")
# Channels whose sign flips when a movement is mirrored left <-> right.
LATERAL = ("sideways", "turn", "body_roll", "torso_roll", "torso_yaw", "head_yaw")


@dataclass(frozen=True)
class Primitive:
    """One named movement: keyframes, the posture it leaves the body in, its vocabularies."""

    name: str
    keys: tuple[Key, ...]
    tags: frozenset[str]
    posture: str | None = None  # posture after the movement (None: the one it started in)

    @property
    def lateral(self) -> bool:
        """Whether mirroring changes the movement (it uses one side, or a lateral channel)."""
        for _, pose in self.keys:
            for channel, value in pose.items():
                if value and (channel.startswith(("d_", "o_")) or channel in LATERAL):
                    return True
        return False


# Postures: the resting pose that keys are relative to.
POSTURES: dict[str, dict[str, float]] = {
    "stand": {},
    "sit": {"both_hip_flex": 90, "both_knee": 90, "torso_pitch": 5, "both_shoulder_flex": 20, "both_elbow": 45},
    "kneel": {"both_knee": 95, "both_hip_flex": 5, "torso_pitch": 5},
    "ready": {"both_hip_flex": 35, "both_knee": 55, "torso_pitch": 30, "both_shoulder_flex": 40, "both_elbow": 70},
    "lie": {"both_shoulder_flex": 150, "both_elbow": 20},
}

PRIMITIVES: dict[str, Primitive] = {}
# Two-person movements: name -> (first actor, second actor), keys aligned beat by beat; the two
# face each other, so `forward` moves towards the partner.
MUTUAL: dict[str, tuple[Primitive, Primitive]] = {}


def _add(name: str, tags: str, *keys: Key, posture: str | None = None) -> None:
    PRIMITIVES[name] = Primitive(name, tuple(keys), frozenset(tags.split()), posture)


def _pair(name: str, *keys: tuple[float, Mapping[str, float], Mapping[str, float]]) -> None:
    tags = frozenset({"mutual"})
    MUTUAL[name] = (Primitive(name, tuple((b, a) for b, a, _ in keys), tags),
                    Primitive(name, tuple((b, p) for b, _, p in keys), tags))


def _hold(pose: Mapping[str, float], beats: float = 1.0) -> Key:
    return (beats, pose)


# ---- upper body (standing or seated) -------------------------------------------------------
_hand_up = {"d_shoulder_flex": 165, "d_elbow": 10}
_add("raise_hand", "upper", (1, _hand_up), _hold(_hand_up), (1, {}))
_wave = {"d_shoulder_abd": 80, "d_shoulder_twist": 90, "d_elbow": 90}
_add("wave", "upper", (1, {**_wave, "d_elbow": 60}), (0.5, {**_wave, "d_elbow": 115}),
     (0.5, {**_wave, "d_elbow": 60}), (0.5, {**_wave, "d_elbow": 115}), (1, {}))
_clap_open = {"both_shoulder_flex": 70, "both_shoulder_abd": 30, "both_elbow": 80}
_clap_shut = {"both_shoulder_flex": 70, "both_shoulder_abd": -5, "both_elbow": 70}
_add("clap", "upper", (1, _clap_open), (0.4, _clap_shut), (0.4, _clap_open), (0.4, _clap_shut), (1, {}))
_add("drink", "upper", (1, {"d_shoulder_flex": 45, "d_elbow": 70}),
     (0.7, {"d_shoulder_flex": 35, "d_shoulder_abd": 15, "d_elbow": 140, "head_pitch": -20}),
     _hold({"d_shoulder_flex": 35, "d_shoulder_abd": 15, "d_elbow": 140, "head_pitch": -20}), (1, {}))
_phone = {"d_shoulder_flex": 25, "d_shoulder_abd": 45, "d_shoulder_twist": 60, "d_elbow": 145, "head_yaw": -10}
_add("phone_call", "upper", (1, _phone), _hold(_phone, 2), (1, {}))
_head = {"both_shoulder_flex": 110, "both_shoulder_abd": 50, "both_elbow": 125}
_add("touch_head", "upper", (1, _head), _hold(_head, 1.5), (1, {}))
_chest = {"both_shoulder_flex": 30, "both_shoulder_abd": -5, "both_elbow": 115, "torso_pitch": 15}
_add("hold_chest", "upper", (1, _chest), _hold(_chest, 1.5), (1, {}))
_guard = {"both_shoulder_flex": 40, "both_elbow": 120}
_add("punch", "upper sport", (1, _guard),
     (0.4, {**_guard, "d_shoulder_flex": 90, "d_elbow": 5, "torso_yaw": 20}), (0.5, _guard), (1, {}))
_point = {"d_shoulder_flex": 90, "d_shoulder_abd": 10, "d_elbow": 0}
_add("point", "upper", (1, _point), _hold(_point, 1.5), (1, {}))
_add("nod", "upper detail", (0.6, {"head_pitch": 22}), (0.5, {"head_pitch": -5}), (0.5, {"head_pitch": 22}),
     (0.6, {}))
_add("shake_head", "upper detail", (0.6, {"head_yaw": 35}), (0.6, {"head_yaw": -35}),
     (0.6, {"head_yaw": 35}), (0.6, {}))
_shrug = {"both_shoulder_abd": 20, "both_elbow": 90, "both_shoulder_twist": -30, "head_pitch": -8}
_add("shrug", "upper detail", (0.7, _shrug), _hold(_shrug, 0.5), (0.7, {}))
_brush = {"d_shoulder_flex": 120, "d_shoulder_abd": 60, "d_elbow": 130}
_add("brush_hair", "upper", (1, _brush), (0.5, {**_brush, "d_shoulder_twist": 25}),
     (0.5, {**_brush, "d_shoulder_twist": -20}), (0.5, {**_brush, "d_shoulder_twist": 25}), (1, {}))
_write = {"d_shoulder_flex": 35, "d_elbow": 90, "head_pitch": 30, "o_shoulder_flex": 30, "o_elbow": 80}
_add("write", "upper", (1, _write), (0.5, {**_write, "d_elbow": 80}), (0.5, {**_write, "d_elbow": 95}),
     (0.5, {**_write, "d_elbow": 80}), (1, {}))
_read = {"both_shoulder_flex": 40, "both_elbow": 110, "head_pitch": 28}
_add("read", "upper", (1, _read), _hold(_read, 2), (1, {}))
_cross = {"both_shoulder_flex": 40, "both_shoulder_abd": -15, "both_elbow": 120}
_add("cross_arms", "upper idle", (1, _cross), _hold(_cross, 2), (1, {}))
_salute = {"d_shoulder_flex": 30, "d_shoulder_abd": 70, "d_shoulder_twist": 60, "d_elbow": 140}
_add("salute", "upper", (0.8, _salute), _hold(_salute), (1, {}))
_wipe = {"both_shoulder_flex": 45, "both_elbow": 140, "head_pitch": 10}
_add("wipe_face", "upper", (1, _wipe), (0.5, {**_wipe, "head_pitch": -10}), (0.5, _wipe), (1, {}))
_add("arm_circle", "upper sport", (1, {"d_shoulder_flex": 90}), (1, {"d_shoulder_flex": 175}),
     (1, {"d_shoulder_abd": 170}), (1, {"d_shoulder_abd": 90}), (1, {}))
_add("hand_flick", "upper detail", (0.5, {"d_shoulder_flex": 30, "d_elbow": 70}),
     (0.4, {"d_shoulder_flex": 45, "d_elbow": 5}), (0.6, {}))
_add("lean_side", "upper detail", (0.8, {"torso_roll": 22, "o_shoulder_abd": 25}), (0.8, {}))
_add("twist_torso", "upper sport", (1, {"torso_yaw": 40, "both_shoulder_abd": 60}),
     (1, {"torso_yaw": -40, "both_shoulder_abd": 60}), (1, {}))
_add("look_around", "upper idle", (1, {"head_yaw": 50}), _hold({"head_yaw": 50}, 0.7), (1, {"head_yaw": -45}),
     _hold({"head_yaw": -45}, 0.7), (1, {}))
_up = {"both_shoulder_flex": 170, "both_elbow": 5, "torso_pitch": -10}
_add("stretch_up", "upper sport", (1, _up), _hold(_up, 1.5), (1, {}))
_rub = {"both_shoulder_flex": 40, "both_shoulder_abd": 0, "both_elbow": 85}
_add("rub_hands", "upper", (1, _rub), (0.4, {**_rub, "both_shoulder_twist": 15}),
     (0.4, {**_rub, "both_shoulder_twist": -15}), (0.4, {**_rub, "both_shoulder_twist": 15}), (1, {}))
_type = {"both_shoulder_flex": 30, "both_elbow": 80, "head_pitch": 15}
_add("type_keys", "upper", (1, _type), (0.4, {**_type, "d_elbow": 72}), (0.4, {**_type, "o_elbow": 72}),
     (0.4, {**_type, "d_elbow": 72}), (0.4, {**_type, "o_elbow": 72}), (1, {}))
_mouth = {"d_shoulder_flex": 40, "d_shoulder_abd": 10, "d_elbow": 135}
_add("eat", "upper", (0.7, _mouth), (0.6, {"d_shoulder_flex": 35, "d_elbow": 80}), (0.7, _mouth),
     (0.6, {"d_shoulder_flex": 35, "d_elbow": 80}), (1, {}))
_watch = {"o_shoulder_flex": 50, "o_elbow": 100, "o_shoulder_twist": -60, "head_pitch": 30}
_add("check_watch", "upper detail", (0.8, _watch), _hold(_watch, 0.8), (0.8, {}))
_fan = {"d_shoulder_flex": 50, "d_shoulder_abd": 30, "d_elbow": 120}
_add("fan_self", "upper", (1, _fan), (0.4, {**_fan, "d_shoulder_twist": 30}), (0.4, {**_fan, "d_shoulder_twist": -20}),
     (0.4, {**_fan, "d_shoulder_twist": 30}), (1, {}))
_glasses = {"both_shoulder_flex": 55, "both_shoulder_abd": 35, "both_elbow": 140, "head_pitch": 10}
_add("put_on_glasses", "upper", (1, _glasses), _hold(_glasses, 0.8), (1, {}))

# ---- whole body, standing ------------------------------------------------------------------
_add("sit_down", "daily", (1, {"torso_pitch": 35, "both_hip_flex": 50, "both_knee": 60, "both_shoulder_flex": 30}),
     (1, {}), posture="sit")
_add("stand_up", "daily", (1, {"torso_pitch": 40, "both_hip_flex": 60, "both_knee": 60}), (1, {}),
     posture="stand")
_squat = {"both_hip_flex": 100, "both_knee": 120, "torso_pitch": 30, "both_shoulder_flex": 80}
_add("squat", "daily sport", (1, _squat), _hold(_squat, 0.7), (1, {}))
_bow = {"torso_pitch": 50, "head_pitch": 20, "both_shoulder_flex": 10}
_add("bow", "daily", (1, _bow), _hold(_bow, 0.7), (1, {}))
_crouch = {"both_hip_flex": 45, "both_knee": 65, "torso_pitch": 25, "both_shoulder_flex": -30}
_add("jump_up", "daily sport", (1, _crouch),
     (0.5, {"lift": 0.35, "both_shoulder_flex": 150, "both_knee": 10}),
     (0.5, {"both_knee": 50, "both_hip_flex": 40}), (0.8, {}))
_add("hop", "daily sport", (0.8, {"o_hip_flex": 35, "o_knee": 90}),
     (0.4, {"o_hip_flex": 35, "o_knee": 90, "lift": 0.15, "both_shoulder_abd": 30}),
     (0.4, {"o_hip_flex": 35, "o_knee": 90, "d_knee": 25}),
     (0.4, {"o_hip_flex": 35, "o_knee": 90, "lift": 0.15, "both_shoulder_abd": 30}), (0.8, {}))
_add("kick", "daily sport", (1, {"d_hip_flex": 20, "d_knee": 70, "both_shoulder_abd": 20}),
     (0.4, {"d_hip_flex": 85, "d_knee": 5, "torso_pitch": -15, "both_shoulder_abd": 30}), (0.8, {}))


def _steps(n: int, length: float, swing: float, arm: float, knee: float = 35.0) -> tuple[Key, ...]:
    """n alternating steps covering `length` metres: the legs and arms swing in opposition."""
    keys = []
    for i in range(n):
        lead, back = ("d", "o") if i % 2 == 0 else ("o", "d")
        keys.append((0.6, {f"{lead}_hip_flex": swing, f"{back}_hip_flex": -0.6 * swing, f"{back}_knee": knee,
                           f"{back}_shoulder_flex": arm, f"{lead}_shoulder_flex": -arm,
                           "both_elbow": 20, "forward": length * (i + 0.5) / n}))
    keys.append((0.6, {"forward": length}))
    return tuple(keys)


_add("walk", "daily idle", *_steps(4, 2.0, 25, 20))
_add("run", "sport", *_steps(6, 4.5, 45, 45, knee=80))
_add("turn_around", "daily", (1, {"turn": 90, "d_hip_flex": 20, "d_knee": 30}),
     (1, {"turn": 180, "o_hip_flex": 20, "o_knee": 30}), (0.6, {"turn": 180}))
_add("pick_up", "daily", (1, {"torso_pitch": 70, "both_knee": 40, "both_hip_flex": 20, "d_shoulder_flex": 80}),
     _hold({"torso_pitch": 75, "both_knee": 45, "both_hip_flex": 25, "d_shoulder_flex": 85, "head_pitch": 20}, 0.6),
     (1, {"d_shoulder_flex": 30, "d_elbow": 90}), (0.8, {}))
_add("throw", "daily sport",
     (1, {"d_shoulder_flex": 150, "d_shoulder_abd": 40, "d_elbow": 100, "torso_yaw": -30, "o_shoulder_flex": 60}),
     (0.4, {"d_shoulder_flex": 100, "d_elbow": 10, "torso_yaw": 25, "torso_pitch": 15, "forward": 0.2}),
     (0.8, {"forward": 0.2}))
_add("fall_down", "daily", (1, {"torso_pitch": 30, "both_knee": 60, "both_hip_flex": 50}),
     (0.6, {"body_pitch": 45, "both_knee": 40, "both_shoulder_flex": 100, "forward": 0.4}),
     (0.6, {"body_pitch": 88, "forward": 0.9}), (1, {"body_pitch": 88, "forward": 0.9}), posture="lie")
_add("step_side", "daily detail", (0.7, {"d_hip_abd": 25, "sideways": 0.2}),
     (0.7, {"o_hip_abd": 15, "sideways": 0.4}), (0.5, {"sideways": 0.4}))
_add("stagger", "daily", (0.8, {"torso_roll": 15, "sideways": -0.2, "forward": 0.3, "d_hip_flex": 20}),
     (0.8, {"torso_roll": -15, "sideways": 0.2, "forward": 0.6, "o_hip_flex": 20}),
     (0.8, {"torso_roll": 12, "sideways": -0.1, "forward": 0.9, "d_hip_flex": 20}), (0.8, {"forward": 1.0}))
_jack_open = {"both_shoulder_abd": 160, "both_hip_abd": 25, "lift": 0.08}
_add("jumping_jacks", "sport", (0.5, _jack_open), (0.5, {"lift": 0.05}), (0.5, _jack_open), (0.5, {}))
_cheer = {"both_shoulder_flex": 160, "both_shoulder_abd": 30, "both_elbow": 20}
_add("cheer", "daily sport", (0.7, _cheer), (0.4, {**_cheer, "lift": 0.12}), (0.4, _cheer),
     (0.4, {**_cheer, "lift": 0.12}), (0.8, {}))
_add("kneel_down", "daily", (1, {"torso_pitch": 20, "d_hip_flex": 70, "d_knee": 80, "o_knee": 60}), (1, {}),
     posture="kneel")
_shoe = {"torso_pitch": 50, "both_shoulder_flex": 70, "both_elbow": 30, "d_hip_flex": 120, "d_knee": 110,
         "head_pitch": 20}
_add("tie_shoe", "daily", (1, _shoe), (0.5, {**_shoe, "both_elbow": 45}), (0.5, _shoe), (1, {}))
_lunge = {"d_hip_flex": 80, "d_knee": 90, "o_hip_flex": -20, "o_knee": 70, "forward": 0.5,
          "both_shoulder_abd": 20}
_add("lunge", "sport", (1, _lunge), _hold(_lunge, 0.6), (1, {"forward": 0.0}))

# ---- sports and dance (Kinetics-like) ------------------------------------------------------
_stance = {"both_shoulder_flex": 50, "both_elbow": 80, "both_knee": 20, "both_hip_flex": 15, "torso_yaw": -50}
_add("swing_bat", "sport", (1, _stance),
     (0.4, {**_stance, "torso_yaw": 60, "both_shoulder_flex": 85, "both_elbow": 10}),
     (0.6, {**_stance, "torso_yaw": 80, "both_shoulder_flex": 100}), (1, {}))
_address = {"torso_pitch": 35, "both_shoulder_flex": 25, "both_knee": 20, "both_hip_flex": 20}
_add("golf_swing", "sport", (1, _address),
     (1, {**_address, "torso_yaw": -70, "both_shoulder_flex": 120, "o_shoulder_abd": -20}),
     (0.4, {**_address, "torso_yaw": 10}), (0.6, {**_address, "torso_yaw": 75, "both_shoulder_flex": 130,
                                                  "torso_pitch": 10}), (1, {}))
_dribble = {"both_knee": 35, "both_hip_flex": 30, "torso_pitch": 20, "d_shoulder_flex": 35}
_add("dribble", "sport", (0.8, {**_dribble, "d_elbow": 30}), (0.4, {**_dribble, "d_elbow": 80, "forward": 0.2}),
     (0.4, {**_dribble, "d_elbow": 30, "forward": 0.4}), (0.4, {**_dribble, "d_elbow": 80, "forward": 0.6}),
     (0.8, {"forward": 0.7}))
_add("shoot_ball", "sport", (1, {"both_knee": 60, "both_hip_flex": 45, "both_shoulder_flex": 100, "both_elbow": 110}),
     (0.5, {"lift": 0.25, "both_shoulder_flex": 165, "both_elbow": 10}), (0.6, {"both_knee": 30}), (0.8, {}))
_add("swim_arms", "sport", (0.7, {"d_shoulder_flex": 175, "o_shoulder_flex": -30, "torso_yaw": 15}),
     (0.7, {"o_shoulder_flex": 175, "d_shoulder_flex": -30, "torso_yaw": -15}),
     (0.7, {"d_shoulder_flex": 175, "o_shoulder_flex": -30, "torso_yaw": 15}), (0.8, {}))
_add("dance_step", "sport", (0.6, {"sideways": 0.3, "d_hip_abd": 20, "both_shoulder_abd": 70, "torso_roll": -10}),
     (0.6, {"sideways": 0.0, "o_hip_abd": 20, "both_shoulder_abd": 110, "torso_roll": 10}),
     (0.6, {"sideways": 0.3, "d_hip_abd": 20, "both_shoulder_abd": 70, "torso_roll": -10}), (0.6, {"sideways": 0.0}))
_rope = {"both_shoulder_abd": 30, "both_elbow": 90, "both_shoulder_flex": 10}
_add("skip_rope", "sport", (0.5, _rope), (0.3, {**_rope, "lift": 0.12, "both_shoulder_twist": 30}),
     (0.3, {**_rope}), (0.3, {**_rope, "lift": 0.12, "both_shoulder_twist": 30}), (0.6, {}))
_add("leg_raise", "sport", (1, {"d_hip_flex": 90, "d_knee": 0, "both_shoulder_abd": 60}),
     _hold({"d_hip_flex": 95, "both_shoulder_abd": 60}, 0.6), (1, {}))
_taichi = {"both_knee": 30, "both_hip_flex": 20, "both_shoulder_flex": 70, "both_elbow": 40}
_add("tai_chi", "sport", (1.5, {**_taichi, "sideways": 0.2, "torso_yaw": 20, "both_shoulder_abd": 30}),
     (1.5, {**_taichi, "sideways": -0.1, "torso_yaw": -20}), (1.5, {}))
_add("boxing_combo", "sport", (0.8, _guard), (0.3, {**_guard, "o_shoulder_flex": 90, "o_elbow": 5}),
     (0.3, _guard), (0.3, {**_guard, "d_shoulder_flex": 90, "d_elbow": 5, "torso_yaw": 25}), (0.4, _guard), (0.8, {}))

# ---- gymnastics (FineGYM-like floor elements) ----------------------------------------------
_add("run_up", "gym", *_steps(4, 3.0, 40, 40, knee=70))
_add("split_leap", "gym", (0.8, {"both_knee": 40, "both_hip_flex": 25, "both_shoulder_flex": 60}),
     (0.6, {"lift": 0.45, "d_hip_flex": 85, "d_knee": 0, "o_hip_flex": -60, "o_knee": 0,
            "both_shoulder_abd": 90, "forward": 1.0}),
     (0.6, {"both_knee": 35, "both_hip_flex": 20, "forward": 1.5}), (0.6, {"forward": 1.5}))
_add("switch_leap", "gym", (0.6, {"d_hip_flex": 70, "d_knee": 40, "both_shoulder_flex": 60}),
     (0.6, {"lift": 0.45, "o_hip_flex": 85, "d_hip_flex": -60, "both_shoulder_abd": 100, "forward": 1.0}),
     (0.6, {"both_knee": 35, "forward": 1.5}), (0.6, {"forward": 1.5}))
_add("straddle_jump", "gym", (0.8, _crouch),
     (0.6, {"lift": 0.4, "both_hip_abd": 70, "both_hip_flex": 80, "both_shoulder_flex": 90}),
     (0.6, {"both_knee": 40, "both_hip_flex": 30}), (0.6, {}))
_add("tuck_jump", "gym", (0.8, _crouch),
     (0.6, {"lift": 0.4, "both_hip_flex": 110, "both_knee": 130, "both_shoulder_flex": 90}),
     (0.6, {"both_knee": 40, "both_hip_flex": 30}), (0.6, {}))
_add("pike_jump", "gym", (0.8, _crouch),
     (0.6, {"lift": 0.4, "both_hip_flex": 100, "both_shoulder_flex": 90, "torso_pitch": 20}),
     (0.6, {"both_knee": 40, "both_hip_flex": 30}), (0.6, {}))
_passe = {"o_hip_flex": 45, "o_hip_abd": 35, "o_knee": 100, "both_shoulder_flex": 90, "both_elbow": 60}
_add("pirouette", "gym", (0.8, {"both_shoulder_flex": 60, "both_shoulder_abd": 30, "both_elbow": 60}),
     (1.2, {**_passe, "turn": 360}), (0.8, {"turn": 360}))
_add("half_turn", "gym", (0.8, {"both_shoulder_flex": 60, "both_shoulder_abd": 30, "both_elbow": 60}),
     (0.8, {**_passe, "turn": 180}), (0.8, {"turn": 180}))
_tuck = {"both_hip_flex": 110, "both_knee": 130, "both_shoulder_flex": 60, "both_elbow": 90}
_add("back_salto", "gym", (0.8, {"both_knee": 50, "both_hip_flex": 30, "both_shoulder_flex": 170}),
     (0.5, {**_tuck, "lift": 0.35, "body_pitch": -100}), (0.5, {**_tuck, "lift": 0.5, "body_pitch": -260}),
     (0.5, {"lift": 0.1, "body_pitch": -360, "both_knee": 45, "both_hip_flex": 40}), (0.6, {"body_pitch": -360}))
_add("front_salto", "gym", (0.8, {"both_knee": 50, "both_hip_flex": 30, "both_shoulder_flex": 120}),
     (0.5, {**_tuck, "lift": 0.35, "body_pitch": 100, "forward": 0.5}),
     (0.5, {**_tuck, "lift": 0.5, "body_pitch": 260, "forward": 1.0}),
     (0.5, {"lift": 0.1, "body_pitch": 360, "both_knee": 45, "both_hip_flex": 40, "forward": 1.3}),
     (0.6, {"body_pitch": 360, "forward": 1.3}))
_add("twist_salto", "gym", (0.8, {"both_knee": 50, "both_hip_flex": 30, "both_shoulder_flex": 170}),
     (0.5, {"lift": 0.4, "body_pitch": -100, "turn": 120, "both_shoulder_flex": 10, "both_shoulder_abd": -10}),
     (0.5, {"lift": 0.55, "body_pitch": -260, "turn": 260, "both_shoulder_flex": 10, "both_shoulder_abd": -10}),
     (0.5, {"lift": 0.1, "body_pitch": -360, "turn": 360, "both_knee": 45}), (0.6, {"body_pitch": -360, "turn": 360}))
_arms_up = {"both_shoulder_flex": 175, "both_hip_abd": 40}
_add("cartwheel", "gym", (0.8, {"both_shoulder_flex": 175, "d_hip_flex": 30}),
     (0.6, {**_arms_up, "body_roll": -90, "sideways": 0.7}), (0.6, {**_arms_up, "body_roll": -180, "sideways": 1.3}),
     (0.6, {**_arms_up, "body_roll": -270, "sideways": 1.9}), (0.6, {"body_roll": -360, "sideways": 2.3}))
_add("round_off", "gym", (0.8, {"both_shoulder_flex": 175, "d_hip_flex": 30}),
     (0.6, {**_arms_up, "body_roll": -90, "turn": 45, "forward": 0.7}),
     (0.6, {**_arms_up, "body_roll": -180, "turn": 90, "forward": 1.3}),
     (0.6, {"body_roll": -360, "turn": 180, "forward": 1.8, "both_knee": 40}), (0.6, {"body_roll": -360, "turn": 180,
                                                                                   "forward": 1.8}))
_add("handstand", "gym", (0.8, {"torso_pitch": 60, "both_shoulder_flex": 170, "d_hip_flex": -30}),
     (0.8, {"body_pitch": 180, "both_shoulder_flex": 180}), _hold({"body_pitch": 180, "both_shoulder_flex": 180}, 1.2),
     (0.8, {"torso_pitch": 60, "both_shoulder_flex": 170}), (0.6, {}))
_add("walkover", "gym", (0.8, {"torso_pitch": 60, "both_shoulder_flex": 170, "d_hip_flex": -30}),
     (0.8, {"body_pitch": 180, "both_shoulder_flex": 180, "forward": 0.6, "d_hip_flex": 60, "o_hip_flex": -60}),
     (0.8, {"body_pitch": 300, "both_shoulder_flex": 150, "forward": 1.2}), (0.8, {"body_pitch": 360, "forward": 1.4}))
_arabesque = {"torso_pitch": 40, "o_hip_flex": -70, "o_knee": 0, "both_shoulder_abd": 90, "head_pitch": -15}
_add("arabesque", "gym", (1, _arabesque), _hold(_arabesque, 1.2), (1, {}))
_scale = {"d_hip_flex": 110, "d_hip_abd": 60, "d_shoulder_abd": 160, "o_shoulder_abd": 90, "torso_roll": 15}
_add("side_scale", "gym", (1, _scale), _hold(_scale, 1.2), (1, {}))
_add("chasse", "gym", (0.5, {"d_hip_flex": 30, "forward": 0.3, "both_shoulder_abd": 80}),
     (0.4, {"lift": 0.12, "o_hip_flex": 20, "forward": 0.6, "both_shoulder_abd": 80}), (0.5, {"forward": 0.8}))
_add("arm_wave", "gym detail", (0.8, {"both_shoulder_abd": 150, "torso_roll": 8}),
     (0.8, {"both_shoulder_abd": 90, "torso_roll": -8, "both_elbow": 30}), (0.8, {"both_shoulder_abd": 150}),
     (0.8, {}))
_add("split_floor", "gym", (1, {"d_hip_flex": 90, "o_hip_flex": -90, "both_shoulder_abd": 90}),
     _hold({"d_hip_flex": 90, "o_hip_flex": -90, "both_shoulder_abd": 90, "torso_pitch": 10}, 1.2), (1, {}))
_add("body_wave", "gym detail", (0.6, {"torso_pitch": -15, "head_pitch": -15, "both_knee": 20}),
     (0.6, {"torso_pitch": 20, "head_pitch": 10, "both_hip_flex": 20}), (0.6, {}))
_add("pose_finish", "gym detail", (0.8, {"both_shoulder_flex": 150, "both_shoulder_abd": 40, "head_pitch": -15}),
     _hold({"both_shoulder_flex": 150, "both_shoulder_abd": 40, "head_pitch": -15}, 0.6), (0.8, {}))

# ---- bystanders --------------------------------------------------------------------------
_add("shift_weight", "idle", (1.5, {"torso_roll": 5, "d_knee": 12, "head_yaw": 15}),
     (1.5, {"torso_roll": -5, "o_knee": 12, "head_yaw": -10}), (1.5, {}))
_add("watch", "idle", (2, {"head_yaw": 25}), _hold({"head_yaw": 25}, 2), (2, {"head_yaw": -20}),
     _hold({"head_yaw": -20}, 2), (2, {}))
_add("take_notes", "idle", (1, _write), _hold(_write, 2), (1, {"head_pitch": -5}), _hold({}, 1))

# ---- volleyball ----------------------------------------------------------------------------
_add("shuffle", "volley", (0.6, {"sideways": 0.4, "d_hip_abd": 20}), (0.6, {"sideways": 0.8, "o_hip_abd": 15}),
     (0.6, {"sideways": 0.8}))
_add("volley_set", "volley",
     (1, {"both_shoulder_flex": 150, "both_shoulder_abd": 30, "both_elbow": 110, "both_knee": 40,
          "both_hip_flex": 20, "head_pitch": -30}),
     (0.5, {"both_shoulder_flex": 170, "both_elbow": 20, "lift": 0.1, "head_pitch": -30}), (1, {}))
_add("spike", "volley", (0.6, {"forward": 0.8, "d_hip_flex": 40, "both_shoulder_flex": 30}),
     (0.6, {"forward": 1.5, "both_knee": 70, "both_hip_flex": 60, "both_shoulder_flex": -40, "torso_pitch": 40}),
     (0.5, {"forward": 1.8, "lift": 0.7, "both_shoulder_flex": 170, "d_shoulder_abd": 30, "d_elbow": 100,
            "torso_pitch": -15}),
     (0.3, {"forward": 1.9, "lift": 0.65, "d_shoulder_flex": 120, "d_elbow": 0, "o_shoulder_flex": 60,
            "torso_pitch": 30}),
     (0.5, {"forward": 2.0, "both_knee": 60, "both_hip_flex": 40}), (0.8, {"forward": 2.0}))
_add("block", "volley", (0.8, {"both_knee": 60, "both_hip_flex": 40, "both_shoulder_flex": 100, "both_elbow": 70}),
     (0.5, {"lift": 0.5, "both_shoulder_flex": 175, "both_elbow": 0, "both_knee": 10}),
     (0.6, {"both_knee": 50, "both_hip_flex": 30, "both_shoulder_flex": 120}), (0.8, {}))
_bump = {"both_knee": 70, "both_hip_flex": 60, "torso_pitch": 30, "both_shoulder_flex": 50, "both_elbow": 0,
         "both_shoulder_abd": -10}
_add("bump", "volley", (0.8, {**_bump, "forward": 0.4}), _hold({**_bump, "forward": 0.5}, 0.5),
     (0.5, {**_bump, "both_knee": 35, "both_shoulder_flex": 75, "forward": 0.5}), (0.8, {"forward": 0.5}))
_add("celebrate", "volley", (0.5, {**_cheer, "forward": 0.5}), (0.4, {**_cheer, "lift": 0.25, "forward": 0.9}),
     (0.4, {**_cheer, "forward": 1.2}), (0.4, {**_cheer, "lift": 0.25, "forward": 1.5}), (0.8, {"forward": 1.8}))
_hips = {"both_shoulder_abd": 35, "both_elbow": 100, "both_shoulder_twist": -40, "head_pitch": 35, "torso_pitch": 10}
_add("dejected", "volley", (1.5, _hips), _hold(_hips, 2), (1.5, {"head_pitch": 25}))

# ---- two persons (NTU mutual actions, Kinetics interactions) -------------------------------
# Partners face each other, so their right hands are on opposite sides: reaching hands cross
# towards the middle (negative abduction).
_reach = {"d_shoulder_flex": 55, "d_shoulder_abd": -20, "d_elbow": 25, "forward": 0.35}
_pair("handshake", (1, _reach, _reach),
      (0.5, {**_reach, "d_elbow": 40}, {**_reach, "d_elbow": 40}),
      (0.5, {**_reach, "d_elbow": 15}, {**_reach, "d_elbow": 15}),
      (0.5, {**_reach, "d_elbow": 40}, {**_reach, "d_elbow": 40}),
      (1, {"forward": 0.25}, {"forward": 0.25}))
_embrace = {"both_shoulder_flex": 85, "both_shoulder_abd": 45, "both_elbow": 95, "forward": 0.35}
_pair("hug", (1, {**_embrace, "both_elbow": 40, "forward": 0.25}, {**_embrace, "both_elbow": 40, "forward": 0.25}),
      (1, _embrace, _embrace), (1.5, {**_embrace, "torso_roll": 5}, {**_embrace, "torso_roll": -5}),
      (1, {"forward": 0.2}, {"forward": 0.2}))
# Strikes: the blow lands (a key of its own), then the partner reels back.
_pair("push", (1, {"both_shoulder_flex": 80, "both_elbow": 90, "forward": 0.35}, {}),
      (0.4, {"both_shoulder_flex": 85, "both_elbow": 5, "forward": 0.5, "torso_pitch": 15}, {"torso_pitch": -5}),
      (0.4, {"both_shoulder_flex": 85, "both_elbow": 5, "forward": 0.5, "torso_pitch": 15},
       {"torso_pitch": -20, "both_shoulder_abd": 35, "forward": -0.4, "d_hip_flex": -20}),
      (1, {"forward": 0.5}, {"forward": -0.5}))
_pair("punch_other", (1, {**_guard, "forward": 0.4}, {}),
      (0.4, {**_guard, "d_shoulder_flex": 90, "d_elbow": 5, "torso_yaw": 20, "forward": 0.5}, {}),
      (0.4, {**_guard, "forward": 0.5}, {"head_pitch": -25, "torso_pitch": -15, "forward": -0.2}),
      (1, {"forward": 0.4}, {"torso_pitch": 20, "both_shoulder_flex": 40, "forward": -0.3}),
      (1, {"forward": 0.4}, {"forward": -0.3}))
_pair("kick_other", (1, {"d_hip_flex": 20, "d_knee": 70, "forward": 0.2}, {}),
      (0.4, {"d_hip_flex": 80, "d_knee": 10, "torso_pitch": -15, "forward": 0.25}, {}),
      (0.4, {"d_hip_flex": 30, "d_knee": 40, "forward": 0.25},
       {"torso_pitch": 35, "both_shoulder_flex": 40, "both_elbow": 90, "forward": -0.2}),
      (1, {"forward": 0.2}, {"torso_pitch": 20, "forward": -0.3}), (1, {"forward": 0.2}, {"forward": -0.3}))
_give = {"d_shoulder_flex": 70, "d_elbow": 25, "forward": 0.25}
_pair("give_object", (1, _give, {"forward": 0.1}), (0.8, _give, {**_give, "d_shoulder_flex": 60}),
      (0.8, {"forward": 0.25}, {"d_shoulder_flex": 40, "d_elbow": 90, "forward": 0.25}),
      (1, {"forward": 0.2}, {"forward": 0.2}))
_pair("point_at_other", (1, _point, {"head_pitch": 15}), (1.5, _point, {**_cross, "head_pitch": 15}),
      (1, {}, {}))
_pair("pat_shoulder", (1, {"d_shoulder_flex": 95, "d_elbow": 35, "forward": 0.4}, {"head_pitch": 10}),
      (0.4, {"d_shoulder_flex": 85, "d_elbow": 50, "forward": 0.4}, {"head_pitch": 10}),
      (0.4, {"d_shoulder_flex": 95, "d_elbow": 35, "forward": 0.4}, {"head_pitch": 10}),
      (0.4, {"d_shoulder_flex": 85, "d_elbow": 50, "forward": 0.4}, {}), (1, {"forward": 0.3}, {}))
_pair("walk_towards", *((b, a, a) for b, a in _steps(2, 0.4, 25, 20)))
# Turn away, walk, turn back: `forward` is along the heading the movement started with, hence negative.
_away = tuple((b, {**a, "turn": 180, "forward": -a["forward"]}) for b, a in _steps(2, 0.8, 25, 20))
_pair("walk_apart", (1, {"turn": 180}, {"turn": 180}), *((b, a, a) for b, a in _away),
      (1, {"turn": 360, "forward": -0.8}, {"turn": 360, "forward": -0.8}))
_whisper = {"torso_pitch": 15, "torso_roll": 8, "d_shoulder_flex": 60, "d_elbow": 130, "forward": 0.35}
_pair("whisper", (1, _whisper, {"head_yaw": 25}), (1.5, _whisper, {"head_yaw": 30, "torso_roll": -5}),
      (1, {"forward": 0.2}, {}))
_five = {"d_shoulder_flex": 150, "d_shoulder_abd": -15, "d_elbow": 40, "forward": 0.35}
_pair("high_five", (1, _five, _five), (0.4, {**_five, "d_shoulder_flex": 135, "d_elbow": 5},
                                        {**_five, "d_shoulder_flex": 135, "d_elbow": 5}),
      (1, {"forward": 0.3}, {"forward": 0.3}))
_pair("slap", (1, {"d_shoulder_abd": 90, "d_elbow": 80, "d_shoulder_twist": 60, "forward": 0.3}, {}),
      (0.3, {"d_shoulder_abd": 40, "d_shoulder_flex": 60, "d_elbow": 20, "torso_yaw": 25, "forward": 0.3},
       {"head_yaw": 45, "torso_yaw": 15}),
      (1, {"forward": 0.3}, {"head_yaw": 20}), (1, {"forward": 0.3}, {}))
_pair("exchange_bow", (1, _bow, _bow), (0.8, _bow, _bow), (1, {}, {}))
_pickpocket = {"torso_pitch": 25, "d_shoulder_flex": 25, "d_shoulder_abd": -20, "d_elbow": 40, "forward": 0.4}
_pair("touch_pocket", (1, _pickpocket, {"head_yaw": 40}), (1, {**_pickpocket, "d_elbow": 70}, {"head_yaw": 40}),
      (1, {"forward": 0.1}, {}))
