"""Run configuration: one training run as a typed tree, read from YAML/JSON.

The values (recipes, sizes, schedules) live in `params/`; this module only knows the shape of a
run and refuses unknown or missing keys, so a typo in a profile stops the run with its path.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A run configuration is malformed (unknown key, missing key, bad value)."""


def from_dict(cls: type[T], data: dict[str, Any], where: str) -> T:
    """Build dataclass `cls` from `data`, naming `where` (a dotted path) in every error."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = get_type_hints(cls)
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(fields)}")
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{where}: missing required key '{name}'")
            continue
        value = data[name]
        sub = _nested_dataclass(f.type)
        kwargs[name] = from_dict(sub, value, f"{where}.{name}") if sub else check_value(value, hints[name],
                                                                                         f"{where}.{name}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{where}: {err}") from err


def check_value(value: Any, hint: Any, where: str) -> Any:
    """`value` if it is of type `hint` (int, float, bool, str, lists, tuples, unions, Literal), else ConfigError.

    An int is a valid float; a bool is neither (YAML's `yes`); a fractional value is no int.
    Hints it does not know (Any, classes) pass the value through unchecked.
    """
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in get_args(hint):
            return None
        for option in get_args(hint):
            try:
                return check_value(value, option, where)
            except ConfigError:
                pass
        raise ConfigError(f"{where}: expected {_describe(hint)}, got {value!r}")
    if hint is type(None):
        if value is not None:
            raise ConfigError(f"{where}: expected null, got {value!r}")
        return None
    if origin is typing.Literal:
        if value not in get_args(hint):
            raise ConfigError(f"{where}: expected one of {list(get_args(hint))}, got {value!r}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        items = get_args(hint)
        if origin is tuple and items and items[-1] is not Ellipsis:
            if len(value) != len(items):
                raise ConfigError(f"{where}: expected {len(items)} values, got {len(value)}: {list(value)}")
            checked = [check_value(v, h, f"{where}[{i}]") for i, (v, h) in enumerate(zip(value, items))]
        else:
            checked = [check_value(v, items[0], f"{where}[{i}]") if items else v for i, v in enumerate(value)]
        return tuple(checked) if origin is tuple else checked
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return value
    if hint in (int, float, bool, str) and not _is_a(value, hint):
        hint_text = " (YAML reads 1e-3 as text: write 1.0e-3)" if hint is float and isinstance(value, str) else ""
        raise ConfigError(f"{where}: expected {_describe(hint)}, got {value!r}{hint_text}")
    return value


def _is_a(value: Any, hint: type) -> bool:
    if isinstance(value, bool):  # a bool is an int to Python, never to a config
        return hint is bool
    return isinstance(value, int | float if hint is float else hint)


def _describe(hint: Any) -> str:
    names = {int: "an integer", float: "a number", bool: "true or false", str: "text", type(None): "null"}
    if get_origin(hint) in (Union, types.UnionType):
        return " or ".join(_describe(h) for h in get_args(hint))
    return names.get(hint, str(hint))


def _nested_dataclass(annotation: Any) -> type | None:
    name = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return _SECTIONS.get(name)


@dataclass
class OptimizerConfig:
    """SGD settings (PoseC3D: momentum 0.9, weight decay 3e-4; MS-G3D: Nesterov, 5e-4)."""

    lr: float
    momentum: float
    weight_decay: float
    nesterov: bool = False


@dataclass
class ScheduleConfig:
    """Learning-rate schedule, stepped every iteration.

    `cosine` anneals to zero over the run (PoseC3D); `step` multiplies by `gamma` at each epoch
    in `milestones` (MS-G3D). `warmup_epochs` ramps linearly from zero first.
    """

    kind: str
    milestones: list[int] = field(default_factory=list)
    gamma: float = 0.1
    warmup_epochs: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("cosine", "step"):
            raise ValueError(f"kind must be 'cosine' or 'step', got {self.kind!r}")


@dataclass
class TrainConfig:
    """The training recipe of one run."""

    epochs: int
    batch_size: int
    optimizer: OptimizerConfig
    schedule: ScheduleConfig
    clip_grad: float | None = None
    num_workers: int = 2
    val_every: int = 1
    amp: bool = True  # used on CUDA only
    keypoint_drop: float = 0.0  # Table 5's robust training: limb keypoints dropped with this p

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be >= 1")
        if not 0.0 <= self.keypoint_drop <= 1.0:
            raise ValueError(f"keypoint_drop must be in [0, 1], got {self.keypoint_drop}")


@dataclass
class TestConfig:
    """Testing: `num_clips` clips per video, class scores averaged after softmax."""

    num_clips: int = 1
    batch_size: int = 16


@dataclass
class DataConfig:
    """Which splits of the pose file a run trains and validates on."""

    train_split: str
    val_split: str


@dataclass
class RunConfig:
    """One training run: model, input representation, recipe, data splits, seed."""

    seed: int
    model: dict[str, Any]
    input: dict[str, Any]
    train: TrainConfig
    data: DataConfig
    test: TestConfig = field(default_factory=TestConfig)

    def __post_init__(self) -> None:
        if "name" not in self.model:
            raise ValueError("model: missing required key 'name'")

    @property
    def model_name(self) -> str:
        return str(self.model["name"])

    @property
    def model_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self.model.items() if k != "name"}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_SECTIONS: dict[str, type] = {
    c.__name__: c
    for c in (OptimizerConfig, ScheduleConfig, TrainConfig, TestConfig, DataConfig)
}


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `override` into a copy of `base` (mappings merge, other values replace)."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def split_assignment(text: str) -> tuple[str, Any]:
    """Turn `a.b.c=value` into ('a.b.c', value), the value parsed as YAML."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected KEY=VALUE, e.g. train.epochs=3")
    key, raw = text.split("=", 1)
    return key.strip(), yaml.safe_load(raw)


def parse_assignment(text: str) -> dict[str, Any]:
    """Turn `a.b.c=value` into {'a': {'b': {'c': value}}}, the value parsed as YAML."""
    key, value = split_assignment(text)
    for part in reversed(key.split(".")):
        value = {part: value}
    return value


def load_run_config(
    sources: list[str | Path], assignments: list[str] | tuple[str, ...] = ()
) -> RunConfig:
    """Merge YAML/JSON files (later wins), inline JSON strings and KEY=VALUE assignments."""
    merged: dict[str, Any] = {}
    for source in sources:
        merged = merge(merged, read_mapping(source))
    for text in assignments:
        merged = merge(merged, parse_assignment(text))
    return from_dict(RunConfig, merged, "run")


def read_mapping(source: str | Path) -> dict[str, Any]:
    """A mapping from a YAML/JSON file, or from inline JSON text (as rules pass configs)."""
    text = str(source)
    if text.lstrip().startswith("{"):
        name = "inline JSON config"
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{name}: not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    else:
        path = Path(text)
        name = str(path)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as err:
            raise ConfigError(f"{path}: not UTF-8 text ({err.reason})") from None
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            at = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
            raise ConfigError(f"{path}: not valid YAML: {getattr(err, 'problem', None) or err}{at}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: expected a mapping, got {type(data).__name__}")
    return data
