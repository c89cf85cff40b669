"""Run configs and profiles: every typo and bad value stops the workflow when it is read, by name."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from posec3d import plan
from posec3d.config import ConfigError, check_value, read_mapping

SMOKE = yaml.safe_load((plan.ROOT / "params" / "smoke.yaml").read_text())


def with_setting(dotted: str, value: Any) -> dict[str, Any]:
    """The smoke profile with one dotted key (e.g. `models.msg3d.set.train.epochs`) set."""
    profile = copy.deepcopy(SMOKE)
    *parents, leaf = dotted.split(".")
    node = profile
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value
    return profile


def test_the_shipped_profiles_pass() -> None:
    for name in ("smoke", "default", "paper"):
        plan.check_run_configs(read_mapping(plan.ROOT / "params" / f"{name}.yaml"))


@pytest.mark.parametrize(("setting", "value", "named"), [
    # the model and input sections (plain mappings in RunConfig) are checked against their readers
    ("models.pose-slowonly.set.input.clip_lenn", 8, r"input: unknown key\(s\) \['clip_lenn'\]"),
    ("models.msg3d.set.input.num_persons", 2, r"input: unknown key\(s\) \['num_persons'\]"),
    ("models.msg3d.set.model.base_channel", 8, r"model 'msg3d' has no option 'base_channel'"),
    ("models.pose-slowonly.set.model.base_channels", 4.5, r"model.base_channels: expected an integer, got 4.5"),
    ("models.pose-slowonly.set.model.name", "pose-slowfast", r"unknown model 'pose-slowfast'"),
    ("models.pose-slowonly.set.input.sigma", "wide", r"input.sigma: expected a number, got 'wide'"),
    ("models.pose-slowonly.set.input.size", [32], r"input.size: expected 2 values"),
    # the recipe's own sections: types, not only names
    ("models.msg3d.set.train.epochs", 2.5, r"run.*train.epochs: expected an integer, got 2.5"),
    ("models.msg3d.set.train.epochs", "ten", r"train.epochs: expected an integer, got 'ten'"),
    ("models.msg3d.set.train.epochs", True, r"train.epochs: expected an integer, got True"),
    ("models.msg3d.set.train.optimizer.lr", "1e-3", r"train.optimizer.lr: expected a number.*write 1.0e-3"),
    ("models.msg3d.set.train.optimizer.nesterov", "no", r"nesterov: expected true or false"),
    ("models.msg3d.set.train.clip_grad", "x", r"train.clip_grad: expected a number or null"),
    ("models.msg3d.set.train.keypoint_drop", 1.5, r"keypoint_drop must be in \[0, 1\], got 1.5"),
])
def test_a_bad_key_or_value_is_named_with_its_run(setting: str, value: Any, named: str) -> None:
    with pytest.raises(ConfigError, match=named) as info:
        plan.check_run_configs(with_setting(setting, value))
    model = setting.split(".")[1]
    assert f"(models.{model})" in str(info.value) and "\n" not in str(info.value)


def test_value_types() -> None:
    assert check_value(3, float, "x") == 3  # an int is a number
    assert check_value([1, 2], tuple[int, int], "x") == (1, 2)
    assert check_value([True, False], tuple[bool, ...], "x") == (True, False)
    assert check_value(None, float | None, "x") is None
    for value, hint in ((1, bool), (0.5, int), ([1, "a"], list[int]), ({"a": 1}, list[int]), (1, str)):
        with pytest.raises(ConfigError, match=r"^x"):
            check_value(value, hint, "x")


def test_unreadable_config_files_are_named(tmp_path: Path) -> None:
    broken = tmp_path / "recipe.yaml"
    broken.write_text("train:\n  epochs: [1, 2\n")
    with pytest.raises(ConfigError, match=r"recipe.yaml: not valid YAML: .* at line \d+ column \d+$"):
        read_mapping(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match=r"list.yaml: expected a mapping, got list"):
        read_mapping(listed)
    with pytest.raises(ConfigError, match=r"inline JSON config: not valid JSON: .* line 1 column \d+"):
        read_mapping('{"seed": 0,')


def test_a_broken_recipe_stops_the_profile_naming_it(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("model: {name: msg3d\n")
    with pytest.raises(ConfigError, match=r"recipe.yaml: not valid YAML"):
        plan.check_run_configs(with_setting("models.msg3d.recipe", str(recipe)))
