"""The paper's claims as data, and a verdict for each from paired tests on our runs.

`params/tables.yaml` declares, per table, the comparisons the paper's text makes between cells:

    claims:
      - {name: cnn_10clip_beats_gcn, kind: better, cells: [cnn_10clip, gcn_acc], quote: "..."}
      - {name: ..., kind: not_worse, margin: 1.0, cells: [cnn_1clip, gcn_acc], quote: "..."}
      - {name: ..., kind: order, cells: [gt, tracking, detection], quote: "..."}

"better": A is greater than B; "not_worse": A is greater than B - margin (percentage points);
"order": each cell is better than the next (expanded into those pairs); "grows" (tables with length
`bins`, Figure 4): A - B is larger on the longest clips than on the shortest; "smaller_drop" (cells
A_from, A_to, B_from, B_to; Figure 5): A drops less than B, (A_from - A_to) < (B_from - B_to). A
claim holds on every row of its table (on every length bin of a binned table; "grows" once per
dataset). For each claim and row, the two cells' predictions on the same validation clips give a
paired bootstrap interval of A - B (`posec3d.stats.paired_difference`; for "grows", of the longest
bin's A - B minus the shortest's, `posec3d.stats.difference_growth`; for "smaller_drop", of the
drops' difference, `posec3d.stats.paired_contrast`); the verdict is "reproduced" when the whole
interval lies on the claimed side of the bound, "contradicted" when it lies wholly on the other
side, and "inconclusive" otherwise (a paired test at alpha = 1 - level, two-sided). The exact
McNemar p-value of top-1 stands beside it where each cell is one run.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from posec3d import plan
from posec3d.atomic import atomic_path
from posec3d.config import ConfigError
from posec3d.stats import (
    Interval,
    difference_growth,
    mcnemar_exact,
    metric_values,
    paired_contrast,
    paired_difference,
    verdict,
)
from posec3d.tables.length_bins import LengthBins, length_bins
from posec3d.tables.predictions import Predictions, load_predictions, min_clips, stats_settings

KINDS = ("better", "not_worse", "order", "grows", "smaller_drop")
CELLS_OF_KIND = {"better": 2, "not_worse": 2, "grows": 2, "smaller_drop": 4}  # "order": two or more
VERDICT_COLOURS = {"reproduced": "tab:green", "contradicted": "tab:red", "inconclusive": "tab:gray"}
CSV_HEADER = ["table", "claim", "row", "a", "b", "kind", "margin", "metric", "ours_a", "ours_b",
              "effect", "effect_low", "effect_high", "level", "n_val", "seeds", "mcnemar_p",
              "paper_a", "paper_b", "paper_effect", "verdict", "quote"]


@dataclass(frozen=True)
class Claim:
    """One comparison A vs B of a table's cells, as the paper states it."""

    table: str
    name: str  # the declared name; an ordering's pairs are "<name>:<a>><b>"
    a: str  # column names
    b: str
    kind: str  # "better", "not_worse", "grows" or "smaller_drop"
    margin: float  # percentage points below B that "not_worse" still accepts; 0 for "better"
    quote: str  # the paper's sentence
    refs: tuple[str, ...] = ()  # smaller_drop: the cells A and B drop from (a, b are where they drop to)

    @property
    def statement(self) -> str:
        """The claim in symbols, e.g. "cnn_10clip > gcn_acc" or "cnn_1clip >= gcn_acc - 1.0"."""
        if self.kind == "better":
            return f"{self.a} > {self.b}"
        if self.kind == "grows":
            return f"{self.a} - {self.b}: longest clips > shortest clips"
        if self.kind == "smaller_drop":
            return f"{self.refs[0]} - {self.a} < {self.refs[1]} - {self.b}"
        return f"{self.a} >= {self.b} - {self.margin:g}"


def _fail(table: str, claim: Any, message: str) -> NoReturn:
    raise ConfigError(f"params/tables.yaml: table {table}: claim {claim!r}: {message}")


def declared_claims(config: dict[str, Any], table: str) -> list[Claim]:
    """The claims of `table`, checked: known kind, existing accuracy cells, a margin where needed.

    An error names the table, the claim and the cell, so that a typo stops the dry run.
    """
    spec = plan.tables_of(config)[table]
    columns = {c["name"]: c for c in spec["columns"]}
    accuracy = sorted(name for name, c in columns.items() if "run" in c)
    out: list[Claim] = []
    names: set[str] = set()
    for entry in spec.get("claims", []):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            _fail(table, entry, "needs a name")
        if name in names:
            _fail(table, name, "declared twice")
        names.add(name)
        unknown = sorted(set(entry) - {"name", "kind", "cells", "margin", "quote"})
        if unknown:
            _fail(table, name, f"unknown key(s) {unknown}; known: cells, kind, margin, name, quote")
        kind, cells = entry.get("kind"), entry.get("cells")
        if kind not in KINDS:
            _fail(table, name, f"kind {kind!r}; expected one of {', '.join(KINDS)}")
        wanted = CELLS_OF_KIND.get(kind)
        if not isinstance(cells, list) or len(cells) < 2 or (wanted is not None and len(cells) != wanted):
            _fail(table, name, f"cells {cells!r}: a {kind} claim compares "
                  + ("two or more cells" if kind == "order" else
                     "four cells (A from, A to, B from, B to)" if wanted == 4 else "two cells"))
        for cell in cells:
            if cell not in columns:
                _fail(table, name, f"names cell {cell!r}, which table {table} does not have; "
                      f"its accuracy cells: {', '.join(accuracy)}")
            if cell not in accuracy:
                _fail(table, name, f"cell {cell!r} is not an accuracy of runs (a count or an "
                      f"estimator metric); claims compare: {', '.join(accuracy)}")
        if kind == "grows" and "bins" not in spec:
            _fail(table, name, "a grows claim compares length bins; the table declares no bins")
        margin = entry.get("margin")
        if kind == "not_worse":
            if isinstance(margin, bool) or not isinstance(margin, int | float) or not margin >= 0:
                _fail(table, name, f"a not_worse claim needs margin: a number >= 0 (percentage "
                      f"points), got {margin!r}")
        elif margin is not None:
            _fail(table, name, f"margin applies to not_worse claims only, not {kind}")
        quote = str(entry.get("quote", ""))
        if kind == "order":
            out += [Claim(table, f"{name}:{a}>{b}", a, b, "better", 0.0, quote)
                    for a, b in zip(cells, cells[1:])]
        elif kind == "smaller_drop":
            out.append(Claim(table, name, cells[1], cells[3], kind, 0.0, quote, refs=(cells[0], cells[2])))
        else:
            out.append(Claim(table, name, cells[0], cells[1], kind, float(margin or 0.0), quote))
    return out


def check_claims(config: dict[str, Any]) -> None:
    """Validate the claims of every table of the profile (ConfigError naming the bad one)."""
    for table in plan.tables_of(config):
        declared_claims(config, table)


def _cells_by_key(config: dict[str, Any], table: str) -> dict[tuple[str, str], plan.Cell]:
    return {(c.row, c.column): c for c in plan.cells(config, table)}


def claim_cells(config: dict[str, Any]) -> list[plan.Cell]:
    """Every cell (on every row) that a claim of the profile's tables compares."""
    out: dict[tuple[str, str, str], plan.Cell] = {}
    for table, spec in plan.tables_of(config).items():
        cells = _cells_by_key(config, table)
        for claim in declared_claims(config, table):
            for row in spec["rows"]:
                for column in (claim.a, claim.b, *claim.refs):
                    out[(table, row, column)] = cells[(row, column)]
    return [out[key] for key in sorted(out)]


@dataclass(frozen=True)
class ClaimResult:
    """A claim on one row: our two cells, the paired difference and its verdict, beside the paper's."""

    claim: Claim
    row: str
    metric: str
    ours_a: float
    ours_b: float
    effect: Interval  # A - B, percentage points, paired over the same clips
    level: float
    mcnemar_p: float | None  # exact McNemar on top-1, where each side is one run
    paper_a: float | None
    paper_b: float | None
    verdict: str

    @property
    def paper_effect(self) -> float | None:
        if self.paper_a is None or self.paper_b is None:
            return None
        return self.paper_a - self.paper_b


def evaluate_claims(config: dict[str, Any], root: Path = plan.ROOT) -> list[ClaimResult]:
    """The verdict of every claim of the profile's tables on every row, from the runs' test scores."""
    stats, fewest = stats_settings(config), min_clips(config)
    results = []
    loaded: dict[plan.Cell, Predictions] = {}  # a cell in several claims is read once
    for table, spec in plan.tables_of(config).items():
        cells = _cells_by_key(config, table)
        paper = {c["name"]: c.get("paper") or {} for c in spec["columns"]}
        declared = declared_claims(config, table)
        binned = "bins" in spec and declared  # the pose file is read only for a table with claims
        bins = {row: length_bins(config, table, row, root) for row in spec["rows"]} if binned else {}
        for claim in declared:
            for dataset in spec["rows"]:
                metric = config["datasets"][dataset]["metric"]
                a, b = (_loaded(loaded, cells[(dataset, col)], root) for col in (claim.a, claim.b))
                a.check_same_clips(b)
                if claim.kind == "smaller_drop":
                    refs = [_loaded(loaded, cells[(dataset, col)], root) for col in claim.refs]
                    results.append(_drops(claim, dataset, a, b, *refs, metric, stats, fewest))
                    continue
                if claim.kind == "grows":
                    results.append(_growth(claim, dataset, bins[dataset], a, b, metric, stats, fewest))
                    continue
                if dataset in bins:
                    parts = zip(bins[dataset].rows, bins[dataset].split(a), bins[dataset].split(b))
                else:
                    parts = [(dataset, a, b)]
                results += [_compared(claim, row, part_a, part_b, metric, stats, fewest,
                                      paper[claim.a].get(dataset), paper[claim.b].get(dataset))
                            for row, part_a, part_b in parts]
    return results


def _loaded(loaded: dict[plan.Cell, Predictions], cell: plan.Cell, root: Path) -> Predictions:
    if cell not in loaded:
        loaded[cell] = load_predictions(cell, root)
    return loaded[cell]


def _compared(claim: Claim, row: str, a: Predictions, b: Predictions, metric: str,
              stats: dict[str, Any], fewest: int, paper_a: float | None, paper_b: float | None) -> ClaimResult:
    """The paired verdict of a better / not-worse claim on one row's clips."""
    effect = paired_difference(a.pred, b.pred, a.labels, metric, **stats)
    p_value = None
    if metric == "top1" and len(a.pred) == len(b.pred) == 1:
        p_value = mcnemar_exact(a.pred[0] == a.labels, b.pred[0] == b.labels)
    return ClaimResult(claim, row, metric,
                       ours_a=float(metric_values(a.pred, a.labels, metric)),
                       ours_b=float(metric_values(b.pred, b.labels, metric)),
                       effect=effect, level=stats["level"], mcnemar_p=p_value, paper_a=paper_a,
                       paper_b=paper_b, verdict=verdict(claim.kind, effect, claim.margin, fewest))


def _drops(claim: Claim, row: str, a: Predictions, b: Predictions, a_ref: Predictions, b_ref: Predictions,
           metric: str, stats: dict[str, Any], fewest: int) -> ClaimResult:
    """A smaller_drop claim on one row: B's drop less A's, on the same clips. Here ours_a and ours_b
    are the drops A_ref - A and B_ref - B (percentage points)."""
    for other in (a_ref, b_ref):
        a.check_same_clips(other)
    effect = paired_contrast([a.pred, a_ref.pred, b.pred, b_ref.pred], [1.0, -1.0, -1.0, 1.0], a.labels,
                             metric, **stats)
    drop = [float(metric_values(ref.pred, ref.labels, metric) - metric_values(x.pred, x.labels, metric))
            for ref, x in ((a_ref, a), (b_ref, b))]
    return ClaimResult(claim, row, metric, ours_a=drop[0], ours_b=drop[1], effect=effect, level=stats["level"],
                       mcnemar_p=None, paper_a=None, paper_b=None,
                       verdict=verdict(claim.kind, effect, claim.margin, fewest))


def _growth(claim: Claim, dataset: str, bins: LengthBins, a: Predictions, b: Predictions, metric: str,
            stats: dict[str, Any], fewest: int) -> ClaimResult:
    """A grows claim on one dataset: A - B on its longest clips against its shortest. Here ours_a
    and ours_b are A - B (percentage points) on the longest and on the shortest bin."""
    (first_a, *_, last_a), (first_b, *_, last_b) = bins.split(a), bins.split(b)
    effect = difference_growth((first_a.pred, first_b.pred, first_a.labels),
                               (last_a.pred, last_b.pred, last_a.labels), metric, **stats)
    gain = [float(metric_values(x.pred, x.labels, metric) - metric_values(y.pred, y.labels, metric))
            for x, y in ((last_a, last_b), (first_a, first_b))]
    return ClaimResult(claim, dataset, metric, ours_a=gain[0], ours_b=gain[1], effect=effect,
                       level=stats["level"], mcnemar_p=None, paper_a=None, paper_b=None,
                       verdict=verdict(claim.kind, effect, claim.margin, fewest))


# ------------------------------------------------------------------------------------ outputs


def _number(value: float | None, decimals: int = 2) -> str:
    return "" if value is None else f"{value:.{decimals}f}"


def write_claims_csv(results: list[ClaimResult], path: str | Path) -> None:
    """One line per claim and row: both cells, the effect with its interval, the paper's, the verdict."""
    with atomic_path(path) as tmp, tmp.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for r in results:
            c = r.claim
            writer.writerow([
                c.table, c.name, r.row, c.a, c.b, c.kind, f"{c.margin:g}", r.metric,
                _number(r.ours_a), _number(r.ours_b), _number(r.effect.value),
                _number(r.effect.low), _number(r.effect.high), f"{r.level:g}", r.effect.n,
                r.effect.seeds, "" if r.mcnemar_p is None else f"{r.mcnemar_p:.4g}",
                _number(r.paper_a), _number(r.paper_b), _number(r.paper_effect), r.verdict, c.quote,
            ])


def claims_markdown(results: list[ClaimResult], *, row_labels: dict[str, str],
                    figure: str | None = None) -> str:
    """The report's section: what a verdict means, a tally, and one line per claim and row."""
    lines = ["## The paper's claims: verdicts", ""]
    if not results:
        return "\n".join(lines + ["The profile's tables declare no claims.", ""])
    level = results[0].level
    tally = {v: sum(r.verdict == v for r in results) for v in VERDICT_COLOURS}
    lines += [
        f"Each claim of the paper is tested on every row of its table, on the same validation "
        f"clips for both cells: **reproduced** when the {level:.0%} paired-bootstrap interval of "
        f"our difference A - B lies wholly on the claimed side (a paired test at alpha = "
        f"{1 - level:.2g}), **contradicted** when it lies wholly on the other side, "
        f"**inconclusive** when it straddles the bound. For \"not worse\" the bound is -margin. "
        f"The exact McNemar p-value (top-1, one run per cell) stands beside.", "",
        "Tally: " + ", ".join(f"{n} {v}" for v, n in tally.items()) + f" (of {len(results)}).", "",
        "| Table | Claim | Row | Ours A / B | Ours A - B [interval] | McNemar p | Paper A / B (A - B) | Verdict |",
        "| :--- | :--- | :--- | ---: | ---: | ---: | ---: | :--- |",
    ]
    for r in results:
        paper = ("n/a" if r.paper_effect is None
                 else f"{r.paper_a:.1f} / {r.paper_b:.1f} ({r.paper_effect:+.1f})")
        lines.append(
            f"| {r.claim.table} | `{r.claim.statement}` | {row_labels.get(r.row, r.row)} | "
            f"{r.ours_a:.1f} / {r.ours_b:.1f} | {r.effect.value:+.1f} [{r.effect.low:+.1f}, "
            f"{r.effect.high:+.1f}] | {'' if r.mcnemar_p is None else f'{r.mcnemar_p:.3g}'} | "
            f"{paper} | {r.verdict} |")
    if figure is not None:
        lines += ["", f"![The paper's claims: our effects against the paper's]({Path(figure).as_posix()})"]
    quotes = {(r.claim.table, r.claim.name.split(":")[0]): r.claim.quote for r in results if r.claim.quote}
    if quotes:
        lines += ["", "The paper's words:", ""]
        lines += [f"- {table} `{name}`: \"{quote}\"" for (table, name), quote in quotes.items()]
    return "\n".join(lines) + "\n"


def plot_claims(results: list[ClaimResult], path: str | Path) -> None:
    """A forest plot as PNG: per claim and row, our effect with its interval (coloured by verdict),
    the paper's effect as a diamond, and the bound each claim must clear."""
    height = 1.2 + 0.32 * max(1, len(results))
    fig = Figure(figsize=(9.0, height), layout="constrained")
    ax = fig.subplots()
    for y, r in enumerate(reversed(results)):
        colour = VERDICT_COLOURS[r.verdict]
        ax.errorbar(r.effect.value, y, xerr=[[r.effect.value - r.effect.low], [r.effect.high - r.effect.value]],
                    fmt="o", color=colour, capsize=3, markersize=4)
        if r.paper_effect is not None:
            ax.plot(r.paper_effect, y, marker="D", markerfacecolor="none", color="black", markersize=5)
        ax.plot([-r.claim.margin] * 2, [y - 0.4, y + 0.4], color="black", linewidth=0.8,
                linestyle="--" if r.claim.margin else "-")
    ax.set_yticks(range(len(results)), [f"{r.claim.table} {r.claim.statement} ({r.row})"
                                        for r in reversed(results)], fontsize=8)
    ax.set_xlabel("A - B (percentage points)")
    ax.grid(axis="x", alpha=0.3)
    level = results[0].level if results else 0.95
    handles = [Line2D([], [], color=c, marker="o", linestyle="", label=f"ours ({level:.0%}), {v}")
               for v, c in VERDICT_COLOURS.items()]
    handles += [Line2D([], [], color="black", marker="D", markerfacecolor="none", linestyle="",
                       label="paper"),
                Line2D([], [], color="black", linewidth=0.8, label="bound (0, or -margin)")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    ax.set_title("The paper's claims: our paired differences against the paper's")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)


def claims_metrics(results: list[ClaimResult]) -> dict[str, float]:
    """MLflow metrics: each claim's effect, its bounds and verdict (1 reproduced, 0 inconclusive,
    -1 contradicted), keyed `<table>.<claim>.<row>.<field>`."""
    code = {"reproduced": 1.0, "inconclusive": 0.0, "contradicted": -1.0}
    out = {}
    for r in results:
        key = f"{r.claim.table}.{r.claim.name.replace(':', '.').replace('>', '_gt_')}.{r.row}"
        out |= {f"{key}.effect": r.effect.value, f"{key}.effect_low": r.effect.low,
                f"{key}.effect_high": r.effect.high, f"{key}.verdict": code[r.verdict]}
    return out
