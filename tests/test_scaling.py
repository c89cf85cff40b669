"""Cost against the number of persons (Volleyball): measured through each model's input pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posec3d import plan
from posec3d.config import read_mapping
from posec3d.tables.scaling import (
    clip_of_persons,
    macs_by_persons,
    model_input_shape,
    paper_input_config,
    persons_sweep,
    plot_scaling,
)
from posec3d.tables.table import Column, Table
from tests.test_tables import png_size

PERSONS = list(range(1, 14))


@pytest.fixture(scope="module")
def default() -> dict:
    return read_mapping(plan.ROOT / "params" / "default.yaml")


def test_the_gcn_takes_each_person_and_the_3d_cnn_one_volume(default: dict) -> None:
    """The pipelines' own outputs: M x 20 x 17 x 3 for MS-G3D, 17 x 12 x 56 x 56 whatever M."""
    for m in (1, 5, 13):
        gcn = paper_input_config(default, "scalability", "msg3d", m)
        cnn = paper_input_config(default, "scalability", "pose-slowonly", m)
        assert model_input_shape("msg3d", gcn, clip_of_persons(m, 20)) == (m, 20, 17, 3)
        assert model_input_shape("pose-slowonly", cnn, clip_of_persons(m, 20)) == (17, 12, 56, 56)


def test_gcn_cost_grows_linearly_and_the_3d_cnn_cost_is_flat(default: dict) -> None:
    """Hand formulas: a GCN of M persons costs M times one person's graph (every person is its
    own graph through the same layers, averaged only after the backbone); the 3D-CNN's volume
    costs the same for any M. At 13 persons the counts are the paper's Volleyball settings."""
    gcn = np.array(macs_by_persons(default, "scalability", "msg3d", PERSONS))
    cnn = np.array(macs_by_persons(default, "scalability", "pose-slowonly", PERSONS))
    np.testing.assert_allclose(gcn, gcn[0] * np.array(PERSONS), rtol=1e-12)
    assert (cnn == cnn[0]).all()
    assert round(gcn[-1], 2) == 8.85 and round(cnn[0], 2) == 1.23  # posec3d/complexity.py's figures
    assert gcn[1] > cnn[0] > gcn[0]  # the GCN is cheaper alone, dearer from two persons on


def test_the_figure_draws_the_sweep_beside_the_accuracies(default: dict, tmp_path: Path) -> None:
    sweep = {"persons": [1.0, 2.0, 3.0], "msg3d": [0.7, 1.4, 2.1], "pose-slowonly": [1.2, 1.2, 1.2]}
    columns = [Column("gcn_acc", "Top-1", "%", "GCN", interval=True), Column("cnn_acc", "Top-1", "%", "3D-CNN")]
    table = Table(name="scalability", title="Scalability", rows=["volleyball"], row_labels={},
                  columns=columns, ours={("volleyball", "gcn_acc"): 60.0}, paper={("volleyball", "cnn_acc"): 91.3},
                  provenance={})
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    labels = {"msg3d": "GCN", "pose-slowonly": "3D-CNN"}
    plot_scaling(table, sweep, labels, first)
    plot_scaling(table, sweep, labels, second)
    assert first.read_bytes() == second.read_bytes() and png_size(first)[0] >= 1000
    assert list(persons_sweep(default, "scalability")) == ["persons", "msg3d", "pose-slowonly"]
