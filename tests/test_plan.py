"""The plan: pose sources extracted from video, the Table 3 cells behind them, the run matrix."""

from __future__ import annotations

import itertools

import pytest

from posec3d import plan
from posec3d.config import read_mapping


@pytest.fixture(scope="module")
def default() -> dict:
    return read_mapping(plan.ROOT / "params" / "default.yaml")


@pytest.mark.parametrize("source, expected", [
    ("hq-gt", plan.Extraction("hq", "gt", False)),
    ("lq-detection", plan.Extraction("lq", "detection", False)),
    ("hq-tracking", plan.Extraction("hq", "tracking", False)),
    ("hq-gt-heatmap", plan.Extraction("hq", "gt", True)),
    ("bu", plan.Extraction("bu", "none", False)),
    ("gt-2d", None),
    ("sensor-3d", None),
])
def test_extraction_names(default: dict, source: str, expected: plan.Extraction | None) -> None:
    assert plan.extraction(default, source) == expected


@pytest.mark.parametrize("source, message", [
    ("hq", "needs boxes"),
    ("hq-boxes", "needs boxes"),
    ("bu-gt", "takes no person boxes"),
    ("bu-heatmap", "only top-down"),
])
def test_bad_extraction_names_are_refused(default: dict, source: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan.extraction(default, source)


def test_detection_and_tracking_need_the_detector(default: dict) -> None:
    assert plan.extraction(default, "hq-tracking").detector(default) == default["extraction"]["detector"]
    assert plan.extraction(default, "hq-gt").detector(default) is None


def test_table3_cells_share_runs_with_table4(default: dict) -> None:
    """Table 3b's HR-TD and 3d's Coordinate-HQ cells are Table 4's 3D-CNN run, trained once."""
    table4 = {c.run for c in plan.cells(default, "table4") if c.run}
    table3b = {c.column: c for c in plan.cells(default, "table3b")}
    table3d = {c.column: c for c in plan.cells(default, "table3d")}
    assert table3b["hr_td_acc"].run in table4
    assert table3d["coord_hq"].run in table4
    assert table3b["hr_bu_ap"].estimator == "bu" and table3b["hr_bu_ap"].estimator_metric == "AP"
    assert table3d["heatmap_hq"].run.poses == "hq-gt-heatmap"
    assert set(plan.extracted_sources(default)) == {
        "bu", "hq-detection", "hq-gt", "hq-gt-heatmap", "hq-tracking", "lq-gt", "lq-gt-heatmap"}


def test_heatmap_sources_train_on_stored_heatmaps(default: dict) -> None:
    run = next(c.run for c in plan.cells(default, "table3d") if c.column == "heatmap_lq")
    assert plan.run_config(default, run)["input"]["source"] == "heatmaps"
    coordinates = next(c.run for c in plan.cells(default, "table3d") if c.column == "coord_lq")
    assert plan.run_config(default, coordinates)["input"].get("source", "coordinates") == "coordinates"


def matrix_from_yaml(profile: dict) -> tuple[int, set[tuple], set[tuple]]:
    """(cells, runs, tests) of a profile, counted from the YAML alone, not through posec3d.plan.

    A table has rows x columns cells; each (row, run column) pair is one training run named by
    (dataset, concrete pose source, model, modality, sampling, seed), and one test per clip count;
    tables that name the same run share it.
    """
    declared = read_mapping(plan.ROOT / "params" / "tables.yaml")
    cells, runs, tests = 0, set(), set()
    for name, chosen in profile["tables"].items():
        rows, columns = chosen.get("rows", declared[name]["rows"]), declared[name]["columns"]
        cells += len(rows) * len(columns)
        for row, column in itertools.product(rows, [c for c in columns if "run" in c]):
            spec = column["run"]
            poses = spec.get("poses", "main")
            run = (row, profile["pose_sources"].get(poses, poses), spec["model"], spec.get("modality", "joint"),
                   spec.get("sampling", "uniform"), spec.get("seed", profile["seed"]))
            runs.add(run)
            tests.add((run, column.get("clips", 1)))
    return cells, runs, tests


@pytest.mark.parametrize("profile", ["smoke", "default", "paper"])
def test_run_and_cell_counts_are_the_matrix_declared(profile: str) -> None:
    config = read_mapping(plan.ROOT / "params" / f"{profile}.yaml")
    cells, runs, tests = matrix_from_yaml(config)
    planned = [c for t in config["tables"] for c in plan.cells(config, t)]
    assert len(planned) == cells
    assert {(r.dataset, r.poses, r.model, r.modality, r.sampling, r.seed) for r in plan.runs(config)} == runs
    assert len(plan.runs(config)) == len(runs)
    assert {(c.run, c.clips) for c in planned if c.run} == {(plan.Run(*r), k) for r, k in tests}
