"""Figure 4's machinery: clips binned at the quantiles of their lengths, accuracies per bin, and the
"grows" claim (A - B larger on the longest clips than on the shortest), on hand-made files.

Every number has a closed form: 80 validation clips of lengths 10..89 fall into four bins of 20;
`uniform` is right on every clip, `stride` is right on the first two bins and wrong on the last two,
so uniform's gain is 0 on the shortest bin and 100 points on the longest, in every bootstrap
replicate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from posec3d import plan
from posec3d.config import ConfigError, read_mapping
from posec3d.engine.scores import ClassScores
from posec3d.stats import difference_growth, paired_difference
from posec3d.storage import save_poses
from posec3d.tables import claims
from posec3d.tables.build import build_table_and_bins
from posec3d.tables.length_bins import length_bins, plot_length_bins, quantile_edges
from posec3d.tables.table import read_csv, write_csv

N, CLASSES = 80, 4
LENGTHS = np.arange(10, 10 + N)
COLUMNS = [("uniform", "uniform"), ("stride", "stride2")]


def test_quantile_edges_and_bin_membership() -> None:
    """Lengths 1..100 in four bins: numpy's quantiles 25.75, 50.5, 75.25 round to 26, 50, 75."""
    edges = quantile_edges(np.arange(1, 101), 4)
    assert edges.tolist() == [1, 26, 50, 75, 100]
    assert quantile_edges(np.full(7, 30), 4).tolist() == [30, 31]  # one length: one bin
    with pytest.raises(ValueError, match="at least one bin and one clip"):
        quantile_edges(np.array([]), 4)


def profile(tmp_path: Path, kind: str = "grows", bins: int | None = 4) -> dict[str, Any]:
    """The smoke profile with one binned table of two Pose-SlowOnly runs on ntu60."""
    columns = [{"name": name, "label": name, "unit": "%", "clips": 10,
                "run": {"model": "pose-slowonly", "poses": "gt-2d", "sampling": sampling}}
               for name, sampling in COLUMNS]
    table = {"title": "Figure X", "rows": ["ntu60"], "columns": columns,
             "claims": [{"name": "gain_grows", "kind": kind, "cells": ["uniform", "stride"]},
                        {"name": "loss_grows", "kind": kind, "cells": ["stride", "uniform"]}]}
    if bins is not None:
        table["bins"] = bins
    declared = tmp_path / "tables.yaml"
    declared.write_text(yaml.safe_dump({"figurex": table}))
    config = read_mapping(plan.ROOT / "params" / "smoke.yaml")
    return {**config, "tables_file": str(declared), "tables": {"figurex": {}}, "stats": {"replicates": 500}}


def write_files(config: dict[str, Any], root: Path) -> None:
    """The pose file (clip lengths; one training clip beside the validation ones) and both runs' scores."""
    names = [f"clip{i:03d}" for i in range(N)]
    labels = np.arange(N) % CLASSES
    clips = [{"frame_dir": name, "label": int(label), "img_shape": (100, 100), "original_shape": (100, 100),
              "total_frames": int(length), "keypoint": np.zeros((1, int(length), 17, 2), np.float32),
              "keypoint_score": np.ones((1, int(length), 17), np.float32)}
             for name, label, length in zip([*names, "train0"], [*labels, 0], [*LENGTHS, 500])]
    save_poses({"split": {"xsub_val": names, "xsub_train": ["train0"]}, "annotations": clips},
               root / plan.pose_file("ntu60", "gt-2d"))
    right = {"uniform": np.ones(N, bool), "stride": np.arange(N) < N // 2}
    for cell in plan.cells(config, "figurex"):
        pred = np.where(right[cell.column], labels, (labels + 1) % CLASSES)
        order = np.random.default_rng(len(cell.column)).permutation(N)  # files need not be sorted
        ClassScores(np.eye(CLASSES, dtype=np.float32)[pred[order]], labels[order],
                    np.array(names)[order]).save(root / cell.scores_files[0])


@pytest.fixture
def binned(tmp_path: Path) -> tuple[dict[str, Any], Path]:
    config, root = profile(tmp_path), tmp_path / "root"
    (root / "data" / "ntu60" / "poses").mkdir(parents=True)
    write_files(config, root)
    return config, root


def test_bins_hold_the_validation_clips_by_length(binned: tuple[dict[str, Any], Path]) -> None:
    config, root = binned
    bins = length_bins(config, "figurex", "ntu60", root)
    assert len(bins.lengths) == N and "train0" not in bins.lengths  # the validation split only
    assert bins.edges.tolist() == [10, 30, 50, 69, 89]  # quantiles 29.75, 49.5, 69.25 rounded
    assert bins.labels("NTU") == ["NTU: 10-29 frames", "NTU: 30-49 frames", "NTU: 50-68 frames",
                                  "NTU: 69-89 frames"]
    assert np.bincount(bins.index(np.array([f"clip{i:03d}" for i in range(N)]))).tolist() == [20, 20, 19, 21]
    with pytest.raises(ValueError, match="'nope' has no length"):
        bins.index(np.array(["nope"]))


def test_binned_table_has_a_row_per_bin_with_its_clips(binned: tuple[dict[str, Any], Path],
                                                       tmp_path: Path) -> None:
    config, root = binned
    table, runs, bins = build_table_and_bins(config, "figurex", root)
    assert table.rows == ["ntu60@0", "ntu60@1", "ntu60@2", "ntu60@3"] and len(runs) == 2
    assert [table.ours[(row, "clips")] for row in table.rows] == [20, 20, 19, 21]
    assert [table.ours[(row, "stride")] for row in table.rows] == [100.0, 100.0, 0.0, 0.0]
    assert all(table.ours[(row, "uniform")] == 100.0 for row in table.rows)
    assert table.intervals[("ntu60@2", "stride")].n == 19
    write_csv(table, tmp_path / "figurex.csv")
    first = read_csv(tmp_path / "figurex.csv")[0]
    assert (first["label"], first["clips"], first["stride_n_val"]) == ("NTU-60 X-Sub (synthetic): 10-29 frames",
                                                                       "20", "20")
    plot_length_bins(table, bins, tmp_path / "figurex.png")
    assert (tmp_path / "figurex.png").read_bytes()[:4] == b"\x89PNG"


def test_growth_is_the_longest_bins_gain_minus_the_shortests() -> None:
    """Against paired_difference on each bin alone: the growth's value is their difference, and on
    the closed-form case every replicate is 100 - 0."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 60)
    first = (rng.integers(0, 3, 60), rng.integers(0, 3, 60), labels)
    last = (labels.copy(), rng.integers(0, 3, 60), labels)
    growth = difference_growth(first, last, "top1", replicates=300)
    expected = (paired_difference(*last, "top1", replicates=300).value
                - paired_difference(*first, "top1", replicates=300).value)
    assert growth.value == pytest.approx(expected) and growth.low < growth.value < growth.high
    same = (labels, labels, labels)
    exact = difference_growth(same, (labels, (labels + 1) % 3, labels), "top1", replicates=300)
    assert (exact.value, exact.low, exact.high, exact.n) == (100.0, 100.0, 100.0, 60)


def test_grows_claims_get_their_verdicts(binned: tuple[dict[str, Any], Path]) -> None:
    config, root = binned
    assert {r.verdict for r in claims.evaluate_claims(config, root)} == {"inconclusive"}  # 20 clips < min_clips
    config["stats"]["min_clips"] = 10
    results = {r.claim.name: r for r in claims.evaluate_claims(config, root)}
    gain, loss = results["gain_grows"], results["loss_grows"]
    assert (gain.row, gain.ours_a, gain.ours_b) == ("ntu60", 100.0, 0.0)
    assert (gain.effect.low, gain.effect.high, gain.verdict) == (100.0, 100.0, "reproduced")
    assert (loss.effect.value, loss.verdict) == (-100.0, "contradicted")
    assert gain.claim.statement == "uniform - stride: longest clips > shortest clips"


def test_better_claims_on_a_binned_table_hold_on_every_bin(tmp_path: Path) -> None:
    config, root = profile(tmp_path, kind="better"), tmp_path / "root"
    (root / "data" / "ntu60" / "poses").mkdir(parents=True)
    write_files(config, root)
    verdicts = [(r.row, r.verdict) for r in claims.evaluate_claims(config, root) if r.claim.name == "gain_grows"]
    assert verdicts == [("ntu60@0", "inconclusive"), ("ntu60@1", "inconclusive"),
                        ("ntu60@2", "inconclusive"), ("ntu60@3", "inconclusive")]  # bins below min_clips
    config["stats"]["min_clips"] = 10
    verdicts = [r.verdict for r in claims.evaluate_claims(config, root) if r.claim.name == "gain_grows"]
    assert verdicts == ["inconclusive", "inconclusive", "reproduced", "reproduced"]


def test_a_grows_claim_needs_bins(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="claim 'gain_grows': a grows claim compares length bins"):
        claims.check_claims(profile(tmp_path, bins=None))
