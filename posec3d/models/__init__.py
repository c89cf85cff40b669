"""The action recognition models, by name: `build_model("pose-slowonly", num_classes=99)`.

To add a model, write one module in this package and decorate its nn.Module class with
`@register_model("my-model")`; importing this package imports all its modules, nothing else changes.

A model has `forward(x) -> logits [N, num_classes]`, its classifier as `fc`, `input_kind`
("volume": [N, C, T, H, W]; "coordinates": [N, M, T, V, C]), `default_input_shape` (one sample,
the paper's input) and takes `num_classes` and a `seed` for its initial weights. A "volume" model
also takes `in_channels`: the workflow sets it from the run's modality (17 joint or limb maps, 34
for both stacked), whatever its recipe says.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from typing import TypeVar, get_type_hints

import torch
from torch import nn

from posec3d.config import ConfigError, check_value

ModelClass = TypeVar("ModelClass", bound=type[nn.Module])

MODELS: dict[str, type[nn.Module]] = {}


def register_model(name: str) -> Callable[[ModelClass], ModelClass]:
    """Class decorator that makes a model buildable by `name`."""

    def register(cls: ModelClass) -> ModelClass:
        if name in MODELS:
            raise ValueError(f"model name {name!r} is taken by {MODELS[name].__qualname__}")
        MODELS[name] = cls
        return cls

    return register


def check_model_options(name: str, options: dict[str, object]) -> None:
    """Raise ConfigError unless `name` is registered and takes `options`, each of its annotated type.

    The workflow calls this for every run when it is read, so that a typo in a profile's model
    section stops the dry run, not the train job after every upstream job has run.
    """
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}; known models: {', '.join(sorted(MODELS))}")
    cls = MODELS[name]
    accepted = [p for p in inspect.signature(cls).parameters if p != "num_classes"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ConfigError(f"model {name!r} has no option {', '.join(map(repr, unknown))}; "
                          f"its options: {', '.join(accepted)}")
    hints = get_type_hints(cls.__init__)
    for key, value in options.items():
        if key in hints:
            check_value(value, hints[key], f"model.{key}")


def build_model(name: str, num_classes: int, **kwargs: object) -> nn.Module:
    """The model registered as `name`, with `num_classes` outputs and its options `kwargs`.

    Construction leaves torch's global random state as it found it; the weights come from the
    model's own `seed` option.
    """
    check_model_options(name, kwargs)
    with torch.random.fork_rng(devices=[]):
        return MODELS[name](num_classes=num_classes, **kwargs)


for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
