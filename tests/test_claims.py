"""The paper's claims as data: declarations checked, verdicts from hand-made score files, outputs.

The score files are built so that every number has a closed form: on 200 clips, `strong` is
right on 180 and `weak` on 100, with 90 clips only `strong` gets right and 10 only `weak` does;
`twin` predicts exactly what `strong` predicts.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats as sps

from posec3d import plan
from posec3d.config import ConfigError, read_mapping
from posec3d.engine.scores import ClassScores
from posec3d.tables import claims
from posec3d.tables.build import build_table
from posec3d.tables.claims import claim_cells, declared_claims, evaluate_claims

N, CLASSES = 200, 4
COLUMNS = [  # name, model, poses: three runs on ntu60 (top-1) and gym (mean-class top-1)
    ("strong", "msg3d", "gt-2d"), ("weak", "pose-slowonly", "gt-2d"), ("twin", "msg3d", "hq-gt")]
CLAIMS = [
    {"name": "strong_beats_weak", "kind": "better", "cells": ["strong", "weak"], "quote": "S > W"},
    {"name": "weak_beats_strong", "kind": "better", "cells": ["weak", "strong"]},
    {"name": "twin_comparable", "kind": "not_worse", "margin": 1.0, "cells": ["twin", "strong"]},
    {"name": "twin_beats_strong", "kind": "better", "cells": ["twin", "strong"]},
    {"name": "chain", "kind": "order", "cells": ["twin", "weak", "strong"]},
]


def profile(tmp_path: Path, claims_list: list[dict[str, Any]] = CLAIMS) -> dict[str, Any]:
    """The smoke profile with one declared table, `tablex`, of the three runs and a count."""
    columns = [{"name": name, "label": name, "unit": "%", "clips": 1,
                "run": {"model": model, "poses": poses}, "paper": {"ntu60": 90.0 - 10 * i}}
               for i, (name, model, poses) in enumerate(COLUMNS)]
    columns.append({"name": "params", "label": "Params", "unit": "M", "count": {"model": "msg3d", "at": "profile"}})
    declared = tmp_path / "tables.yaml"
    declared.write_text(yaml.safe_dump({"tablex": {"title": "Table X", "rows": ["ntu60", "gym"],
                                                   "columns": columns, "claims": claims_list}}))
    config = read_mapping(plan.ROOT / "params" / "smoke.yaml")
    return {**config, "tables_file": str(declared), "tables": {"tablex": {}}, "stats": {"replicates": 4000}}


def predictions() -> dict[str, np.ndarray]:
    """Predicted classes of each column: the discordance table of the module's docstring."""
    labels = np.arange(N) % CLASSES
    wrong = (labels + 1) % CLASSES
    strong_right = np.arange(N) < 180  # clips 0-179
    weak_right = (np.arange(N) < 90) | ((np.arange(N) >= 180) & (np.arange(N) < 190))  # 0-89 and 180-189
    strong = np.where(strong_right, labels, wrong)
    return {"labels": labels, "strong": strong, "twin": strong.copy(), "weak": np.where(weak_right, labels, wrong)}


def write_scores(config: dict[str, Any], root: Path, order: np.ndarray | None = None) -> None:
    """Each cell's test scores: one-hot of its predictions, clips in `order` (shuffled per file)."""
    pred = predictions()
    for cell in plan.cells(config, "tablex"):
        for run in cell.runs:
            index = np.random.default_rng(len(run.dir)).permutation(N) if order is None else order
            scores = np.eye(CLASSES, dtype=np.float32)[pred[cell.column][index]]
            ClassScores(scores, pred["labels"][index], np.array([f"clip{i:03d}" for i in index])).save(
                root / run.test_scores(cell.clips))


@pytest.fixture
def scored(tmp_path: Path) -> tuple[dict[str, Any], Path]:
    config = profile(tmp_path)
    write_scores(config, tmp_path / "root")
    return config, tmp_path / "root"


def test_declared_claims_expand_orderings(tmp_path: Path) -> None:
    found = declared_claims(profile(tmp_path), "tablex")
    assert [(c.name, c.a, c.b, c.kind, c.margin) for c in found] == [
        ("strong_beats_weak", "strong", "weak", "better", 0.0),
        ("weak_beats_strong", "weak", "strong", "better", 0.0),
        ("twin_comparable", "twin", "strong", "not_worse", 1.0),
        ("twin_beats_strong", "twin", "strong", "better", 0.0),
        ("chain:twin>weak", "twin", "weak", "better", 0.0),
        ("chain:weak>strong", "weak", "strong", "better", 0.0),
    ]
    assert found[2].statement == "twin >= strong - 1"
    assert {(c.row, c.column) for c in claim_cells(profile(tmp_path))} == {
        (row, name) for row in ("ntu60", "gym") for name, *_ in COLUMNS}


@pytest.mark.parametrize(("claim", "message"), [
    ({"name": "c", "kind": "better", "cells": ["strong", "nope"]},
     "names cell 'nope', which table tablex does not have"),
    ({"name": "c", "kind": "better", "cells": ["strong", "params"]}, "cell 'params' is not an accuracy of runs"),
    ({"name": "c", "kind": "bigger", "cells": ["strong", "weak"]}, "kind 'bigger'"),
    ({"name": "c", "kind": "better", "cells": ["strong", "weak", "twin"]}, "compares two cells"),
    ({"name": "c", "kind": "not_worse", "cells": ["strong", "weak"]}, "needs margin"),
    ({"name": "c", "kind": "better", "margin": 1, "cells": ["strong", "weak"]}, "not_worse claims only"),
    ({"name": "c", "kind": "better", "cells": ["strong", "weak"], "effect": 3}, "unknown key(s) ['effect']"),
    ({"kind": "better", "cells": ["strong", "weak"]}, "needs a name"),
])
def test_bad_claims_are_refused_naming_the_claim(tmp_path: Path, claim: dict, message: str) -> None:
    with pytest.raises(ConfigError, match="table tablex: claim") as err:
        claims.check_claims(profile(tmp_path, [claim]))
    assert message in str(err.value)


def test_verdicts_on_hand_made_scores(scored: tuple[dict[str, Any], Path]) -> None:
    config, root = scored
    results = {(r.claim.name, r.row): r for r in evaluate_claims(config, root)}
    assert len(results) == 12  # six claims (the ordering gives two) on two rows
    verdicts = {key: r.verdict for key, r in results.items()}
    for row in ("ntu60", "gym"):
        assert verdicts[("strong_beats_weak", row)] == "reproduced"
        assert verdicts[("weak_beats_strong", row)] == "contradicted"
        assert verdicts[("twin_comparable", row)] == "reproduced"  # a zero difference is within 1 pp
        assert verdicts[("twin_beats_strong", row)] == "inconclusive"
        assert verdicts[("chain:twin>weak", row)] == "reproduced"
        assert verdicts[("chain:weak>strong", row)] == "contradicted"
    top1 = results[("strong_beats_weak", "ntu60")]
    assert (top1.ours_a, top1.ours_b, top1.effect.value) == pytest.approx((90.0, 50.0, 40.0))
    assert top1.mcnemar_p == pytest.approx(sps.binomtest(10, 100, 0.5).pvalue, rel=1e-12)
    # paired normal approximation: sd of the mean difference sqrt((p10 + p01 - d^2) / n)
    half = sps.norm.ppf(0.975) * math.sqrt((0.5 - 0.4**2) / N) * 100
    assert top1.effect.high - top1.effect.low == pytest.approx(2 * half, rel=0.1)
    assert top1.effect.low < 40.0 < top1.effect.high
    twin = results[("twin_comparable", "ntu60")].effect
    assert (twin.value, twin.low, twin.high) == (0.0, 0.0, 0.0)
    assert (top1.paper_a, top1.paper_b, top1.paper_effect) == (90.0, 80.0, pytest.approx(10.0))
    # gym's metric is mean-class top-1: no McNemar, paper values absent
    gym = results[("strong_beats_weak", "gym")]
    assert gym.metric == "mean_class_top1" and gym.mcnemar_p is None and gym.paper_effect is None


def test_too_few_clips_give_no_verdict(scored: tuple[dict[str, Any], Path]) -> None:
    """Below `stats.min_clips` paired clips every verdict is inconclusive, the effects unchanged."""
    config, root = scored
    few = {**config, "stats": {**config["stats"], "min_clips": N + 1}}
    enough = {**config, "stats": {**config["stats"], "min_clips": N}}
    assert {r.verdict for r in evaluate_claims(few, root)} == {"inconclusive"}
    kept = evaluate_claims(enough, root)
    assert "reproduced" in {r.verdict for r in kept} and "contradicted" in {r.verdict for r in kept}
    assert [r.effect for r in evaluate_claims(few, root)] == [r.effect for r in kept]


def test_cells_carry_the_same_intervals_as_the_claims_use(scored: tuple[dict[str, Any], Path]) -> None:
    config, root = scored
    table, _ = build_table(config, "tablex", root)
    strong = table.intervals[("ntu60", "strong")]
    assert (table.ours[("ntu60", "strong")], strong.n, strong.seeds, strong.seed_sd) == (90.0, N, 1, None)
    normal = sps.norm.ppf(0.975) * math.sqrt(0.9 * 0.1 / N) * 100  # the binomial standard error
    assert strong.high - strong.low == pytest.approx(2 * normal, rel=0.15)
    assert table.intervals[("ntu60", "twin")] == strong  # the same clips resampled the same way


def test_claims_refuse_cells_on_different_clips(tmp_path: Path) -> None:
    config = profile(tmp_path)
    root = tmp_path / "root"
    write_scores(config, root)
    weak = next(c for c in plan.cells(config, "tablex") if c.column == "weak" and c.row == "ntu60")
    path = root / weak.runs[0].test_scores(1)
    scores = ClassScores.load(path)
    ClassScores(scores.scores[1:], scores.labels[1:], scores.frame_dirs[1:]).save(path)
    with pytest.raises(ValueError, match="not the same validation clips"):
        evaluate_claims(config, root)


def test_seeds_average_and_spread(tmp_path: Path) -> None:
    """Two seeds of `weak`: one as above, one right everywhere: the cell is their mean, sd beside."""
    config = {**profile(tmp_path), "seeds": [0, 1]}
    root = tmp_path / "root"
    write_scores(config, root)
    weak = next(c for c in plan.cells(config, "tablex") if c.column == "weak" and c.row == "ntu60")
    labels = predictions()["labels"]
    ClassScores(np.eye(CLASSES, dtype=np.float32)[labels], labels,
                np.array([f"clip{i:03d}" for i in range(N)])).save(root / weak.runs[1].test_scores(1))
    table, runs = build_table(config, "tablex", root)
    interval = table.intervals[("ntu60", "weak")]
    assert (table.ours[("ntu60", "weak")], interval.seeds) == (75.0, 2)
    assert interval.seed_sd == pytest.approx(np.std([50.0, 100.0], ddof=1))
    assert len([r for r in runs if "pose-slowonly" in r]) == 4  # two seeds on two rows
    result = next(r for r in evaluate_claims(config, root) if r.claim.name == "strong_beats_weak" and r.row == "ntu60")
    assert result.effect.value == pytest.approx(15.0) and result.mcnemar_p is None  # 90 - 75; two seeds


def test_outputs_csv_markdown_figure(scored: tuple[dict[str, Any], Path], tmp_path: Path) -> None:
    config, root = scored
    results = evaluate_claims(config, root)
    claims.write_claims_csv(results, tmp_path / "claims.csv")
    with open(tmp_path / "claims.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == claims.CSV_HEADER and len(rows) == len(results)
    first = rows[0]
    assert (first["claim"], first["row"], first["effect"], first["verdict"], first["n_val"]) == (
        "strong_beats_weak", "ntu60", "40.00", "reproduced", "200")
    text = claims.claims_markdown(results, row_labels={"ntu60": "NTU-60"}, figure="figures/claims.png")
    assert "Tally: 6 reproduced, 4 contradicted, 2 inconclusive (of 12)." in text
    assert "| tablex | `strong > weak` | NTU-60 | 90.0 / 50.0 | +40.0 [" in text
    assert '- tablex `strong_beats_weak`: "S > W"' in text
    claims.plot_claims(results, tmp_path / "claims.png")
    assert (tmp_path / "claims.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = claims.claims_metrics(results)
    assert metrics["tablex.strong_beats_weak.ntu60.verdict"] == 1.0
    assert metrics["tablex.chain.weak_gt_strong.gym.verdict"] == -1.0


def test_smaller_drop_claims_compare_two_drops_on_the_same_clips(tmp_path: Path) -> None:
    """twin -> strong drops 0 points (the same predictions), strong -> weak drops 40 (90% to 50% top-1):
    the first drop is smaller, reproduced on both rows; the reverse claim is contradicted."""
    config = profile(tmp_path, [
        {"name": "twin_drops_less", "kind": "smaller_drop", "cells": ["twin", "strong", "strong", "weak"]},
        {"name": "strong_drops_less", "kind": "smaller_drop", "cells": ["strong", "weak", "twin", "strong"]}])
    write_scores(config, tmp_path / "root")
    results = {(r.claim.name, r.row): r for r in evaluate_claims(config, tmp_path / "root")}
    less = results[("twin_drops_less", "ntu60")]
    assert (less.ours_a, less.ours_b, less.effect.value) == (0.0, 40.0, 40.0)
    assert less.claim.statement == "twin - strong < strong - weak" and less.effect.low > 0
    assert {r.verdict for (name, _), r in results.items() if name == "twin_drops_less"} == {"reproduced"}
    assert {r.verdict for (name, _), r in results.items() if name == "strong_drops_less"} == {"contradicted"}
    assert {(c.row, c.column) for c in claim_cells(config)} == {
        (row, name) for row in ("ntu60", "gym") for name, *_ in COLUMNS}
    bad = {"name": "c", "kind": "smaller_drop", "cells": ["strong", "weak"]}
    (tmp_path / "bad").mkdir()  # a fresh declarations file (they are read once per path)
    with pytest.raises(ConfigError, match="compares four cells"):
        claims.check_claims(profile(tmp_path / "bad", [bad]))
