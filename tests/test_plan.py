"""The plan: pose sources extracted from video, and the Table 3 cells behind them."""

from __future__ import annotations

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
