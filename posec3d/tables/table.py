"""Paper tables as files: CSV for machines, Markdown for people, a bar chart for a glance.

A `Table` holds, for every (row, column) cell, our value and the paper's value side by side, plus
where each row's numbers came from. Collecting those values is `posec3d.plan`'s job; this module
only presents them, so it knows nothing about runs or metrics files.
"""

from __future__ import annotations

import csv
import math
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from posec3d.atomic import atomic_path
from posec3d.stats import Interval


class TableError(ValueError):
    """A table is malformed (unknown unit, duplicate key, value for an unknown cell, ...)."""


@dataclass(frozen=True)
class Unit:
    """How values of one unit are written: decimals in the CSV and on screen, and an axis label."""

    csv_decimals: int
    shown_decimals: int  # the paper's precision: 92.0, 2.8M, 15.9G, .746
    axis_label: str
    integer: bool = False  # a count, always written whole


UNITS: dict[str, Unit] = {
    "%": Unit(2, 1, "accuracy (%)"),
    "M": Unit(3, 2, "parameters (M)"),
    "G": Unit(3, 1, "GMACs"),
    "": Unit(3, 3, "value"),  # dimensionless, e.g. COCO AP in Table 3b
    "clips": Unit(0, 0, "validation clips", integer=True),  # Figure 4's clips per length bin
    "clips/s": Unit(1, 1, "clips per second"),  # a leaderboard's measured training and test speed
}

# The provenance keys summarised in Markdown, with their display names.
PROVENANCE_SUMMARY = {"profile": "profile", "pose_source": "pose source",
                      "git_commit": "git commit"}

NOT_AVAILABLE = "n/a"


@dataclass(frozen=True)
class Column:
    """One column of a table: a key for the CSV, a label for people, the unit of its values."""

    name: str  # e.g. "cnn_1clip"
    label: str  # e.g. "3D-CNN 1-clip"
    unit: str  # a key of UNITS: "%" (accuracy), "M" (parameters, millions), "G" (GMACs)
    group: str = ""  # e.g. "GCN" / "3D-CNN"
    interval: bool = False  # an accuracy measured on validation clips: its cells carry intervals
    x: float | None = None  # its position on a curve figure's x axis (Table 5's p), if it has one

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise TableError(f"column {self.name!r}: unknown unit {self.unit!r}; "
                             f"known: {sorted(UNITS)}")

    @property
    def heading(self) -> str:
        """The label prefixed by the group, unless the label already starts with it."""
        if not self.group or self.label.startswith(self.group):
            return self.label
        return f"{self.group} {self.label}"


@dataclass
class Table:
    """One paper table: our value and the paper's for each (row, column) cell; None is n/a."""

    name: str  # "table4"
    title: str  # "Table 4: 3D-CNN vs. GCN"
    rows: list[str]  # row keys, e.g. ["gym", "ntu60", "ntu120", "k400"]
    row_labels: dict[str, str]  # row key -> label; a row without one shows its key
    columns: list[Column]
    ours: dict[tuple[str, str], float | None]  # (row, column name) -> our value
    paper: dict[tuple[str, str], float | None]  # (row, column name) -> the paper's value
    provenance: dict[str, dict[str, str]]  # row -> {"profile", "pose_source", "git_commit", ...}
    notes: list[str] = field(default_factory=list)
    # (row, column name) -> our value's interval over validation clips (columns with interval=True)
    intervals: dict[tuple[str, str], Interval] = field(default_factory=dict)
    level: float = 0.95  # the intervals' coverage
    x_label: str = ""  # set when the figure is curves over the columns' `x` (one line per group)

    def label(self, row: str) -> str:
        return self.row_labels.get(row, row)

    def check(self) -> None:
        """Raise TableError naming the table and the key if the table is inconsistent.

        A value for a cell outside rows x columns is an error, not silently dropped: it is
        almost always a typo in a row or column name.
        """
        where = f"table {self.name!r}"
        for kind, keys in (("row", self.rows), ("column", [c.name for c in self.columns])):
            duplicates = sorted(key for key, n in Counter(keys).items() if n > 1)
            if duplicates:
                raise TableError(f"{where}: duplicate {kind}(s) {duplicates}")
        cells = {(r, c.name) for r in self.rows for c in self.columns}
        for source, values in (("ours", self.ours), ("paper", self.paper)):
            for cell, value in values.items():
                if cell not in cells:
                    raise TableError(f"{where}: {source} has a value for unknown cell {cell!r}")
                if value is not None and not math.isfinite(value):
                    raise TableError(f"{where}: {source} value of cell {cell!r} is {value}")
        unknown = sorted(set(self.provenance) - set(self.rows))
        if unknown:
            raise TableError(f"{where}: provenance for unknown row(s) {unknown}")
        with_interval = {(r, c.name) for r in self.rows for c in self.columns if c.interval}
        for cell, interval in self.intervals.items():
            if cell not in with_interval:
                raise TableError(f"{where}: interval for cell {cell!r}, whose column carries none")
            value = self.ours.get(cell)
            if value is None or not interval.low <= value <= interval.high:
                raise TableError(f"{where}: cell {cell!r}: value {value} outside its interval "
                                 f"[{interval.low}, {interval.high}]")

    def provenance_keys(self) -> list[str]:
        """All provenance keys used by any row, sorted."""
        return sorted({key for info in self.provenance.values() for key in info})


def format_value(value: float | None, unit: str, *, shown: bool = False) -> str:
    """`value` at the CSV precision of `unit` (or the paper's, if `shown`); "" or n/a for None.

    Small values keep two significant digits, so a smoke-sized model's 0.0042M is not "0.00".
    """
    if value is None:
        return NOT_AVAILABLE if shown else ""
    spec = UNITS[unit]
    if spec.integer:
        return f"{value:.0f}"
    decimals = spec.shown_decimals if shown else spec.csv_decimals
    if value != 0:
        decimals = max(decimals, 1 - math.floor(math.log10(abs(value))))
    return f"{value:.{decimals}f}"


# ---------------------------------------------------------------------------------------- CSV


# What a column with intervals adds to the CSV after its value: `<col>_<suffix>`.
INTERVAL_FIELDS = ("ci_low", "ci_high", "n_val", "seeds", "seed_sd")


def _interval_fields(table: Table, row: str, column: Column) -> list[str]:
    """The CSV fields of a cell's interval: bounds, validation clips, seeds, sd over seeds."""
    interval = table.intervals.get((row, column.name))
    if interval is None:
        return [""] * len(INTERVAL_FIELDS)
    return [format_value(interval.low, column.unit), format_value(interval.high, column.unit),
            str(interval.n), str(interval.seeds), format_value(interval.seed_sd, column.unit)]


def csv_header(table: Table) -> list[str]:
    """row, label, then per column `<col>` (with `<col>_ci_low`, `_ci_high`, `_n_val`, `_seeds`,
    `_seed_sd` where it has intervals) and `<col>_paper`, then the provenance keys."""
    header = ["row", "label"]
    for column in table.columns:
        header.append(column.name)
        if column.interval:
            header += [f"{column.name}_{suffix}" for suffix in INTERVAL_FIELDS]
        header.append(f"{column.name}_paper")
    provenance = table.provenance_keys()
    clash = sorted(set(header) & set(provenance))
    if clash:
        raise TableError(f"table {table.name!r}: provenance key(s) {clash} clash with value "
                         f"columns")
    return header + provenance


def write_csv(table: Table, path: str | Path) -> None:
    """Write one line per row: our and the paper's value per column, then the row's provenance."""
    table.check()
    header = csv_header(table)
    provenance = table.provenance_keys()
    with atomic_path(path) as tmp, tmp.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        for row in table.rows:
            line = [row, table.label(row)]
            for column in table.columns:
                line.append(format_value(table.ours.get((row, column.name)), column.unit))
                if column.interval:
                    line += _interval_fields(table, row, column)
                line.append(format_value(table.paper.get((row, column.name)), column.unit))
            info = table.provenance.get(row, {})
            writer.writerow(line + [info.get(key, "") for key in provenance])


def read_csv(path: str | Path) -> list[dict[str, str]]:
    """The rows of a table CSV as dicts keyed by header; n/a values are ""."""
    path = Path(path)
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or reader.fieldnames[:2] != ["row", "label"]:
            raise TableError(f"{path}: not a table CSV (header must start with 'row,label', "
                             f"got {reader.fieldnames})")
        rows = list(reader)
    for number, line in enumerate(rows, start=2):
        if None in line or None in line.values():
            raise TableError(f"{path}:{number}: expected {len(reader.fieldnames)} fields")
    return rows


# ----------------------------------------------------------------------------------- Markdown


def _escape(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", r"\|").replace("\n", " ")


def _cell(table: Table, row: str, column: Column) -> str:
    """"ours [low, high] / paper", the interval where the cell has one."""
    ours, paper = (values.get((row, column.name)) for values in (table.ours, table.paper))
    if ours is None and paper is None:
        return NOT_AVAILABLE
    text = format_value(ours, column.unit, shown=True)
    interval = table.intervals.get((row, column.name))
    if interval is not None:
        text += " [" + ", ".join(format_value(v, column.unit, shown=True)
                                 for v in (interval.low, interval.high)) + "]"
    return f"{text} / {format_value(paper, column.unit, shown=True)}"


def interval_sentence(table: Table) -> str:
    """One line on what the brackets mean, with the level, clips and seeds of this table."""
    if not table.intervals:
        return ""
    n = sorted({i.n for i in table.intervals.values()})
    seeds = sorted({i.seeds for i in table.intervals.values()})
    clips = f"{n[0]}" if len(n) == 1 else f"{n[0]}-{n[-1]}"
    runs = "one training run" if seeds == [1] else f"the mean of {'/'.join(map(str, seeds))} training seeds"
    return (f"Brackets: a {table.level:.0%} percentile-bootstrap interval over the {clips} validation clips of "
            f"each row (the same resampled clips for every cell of a row); each value is {runs}.")


def _provenance_lines(table: Table) -> list[str]:
    """One bullet per distinct (profile, pose source, git commit), naming the rows it covers."""
    summaries: dict[str, list[str]] = {}
    for row in table.rows:
        info = table.provenance.get(row, {})
        parts = [f"{name} `{info[key]}`"
                 for key, name in PROVENANCE_SUMMARY.items() if info.get(key)]
        if parts:
            summaries.setdefault(", ".join(parts), []).append(table.label(row))
    if len(summaries) == 1 and len(next(iter(summaries.values()))) == len(table.rows):
        return [f"- all rows: {next(iter(summaries))}"]
    return [f"- {', '.join(labels)}: {summary}" for summary, labels in summaries.items()]


def to_markdown(table: Table, *, figure: str | None = None) -> str:
    """The table as GitHub Markdown: a heading, "ours / paper" cells, the figure, notes, provenance.

    `figure` is an image path (relative to where the Markdown will live) shown under the table.
    """
    table.check()
    header = [""] + [_escape(f"{c.heading} ({c.unit})" if c.unit else c.heading)
                     for c in table.columns]
    sentence = interval_sentence(table)
    lines = [f"## {table.title}", "",
             "Cells: ours [interval] / paper (n/a: not available)." if sentence
             else "Cells: ours / paper (n/a: not available).", ""]
    lines += [sentence, ""] if sentence else []
    lines += ["| " + " | ".join(header) + " |", "| :--- |" + " ---: |" * len(table.columns)]
    for row in table.rows:
        cells = [_escape(table.label(row))] + [_cell(table, row, c) for c in table.columns]
        lines.append("| " + " | ".join(cells) + " |")
    if figure is not None:
        lines += ["", f"![{_escape(table.title)}]({Path(figure).as_posix()})"]
    if table.notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in table.notes]
    provenance = _provenance_lines(table)
    if provenance:
        lines += ["", "Provenance:", ""] + provenance
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------------------------- chart


def plot_table(table: Table, path: str | Path, units: tuple[str, ...] = ("%",)) -> None:
    """A grouped bar chart as PNG: per row, ours (solid) beside the paper (hatched) per column.

    One panel per unit in `units`, stacked, sharing the rows on the x axis. Bars carry their
    values, and ours their intervals as error bars; a missing value shows as "n/a" at the
    base. A column without any paper value (a model beyond the paper) gets our bars only.
    """
    table.check()
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise TableError(f"{path}: plot_table writes PNG; the name must end in .png")
    unknown = sorted(set(units) - set(UNITS))
    if unknown:
        raise TableError(f"plot of table {table.name!r}: unknown unit(s) {unknown}; "
                         f"known: {sorted(UNITS)}")
    panels = [(unit, [c for c in table.columns if c.unit == unit]) for unit in units]
    panels = [(unit, columns) for unit, columns in panels if columns]
    if not panels:
        raise TableError(f"table {table.name!r}: no column has a unit in {units}")

    most_bars = max(len(_series(table, columns)) for _, columns in panels)
    width = min(18.0, max(7.0, 3.5 + len(table.rows) * 0.32 * most_bars))
    fig = Figure(figsize=(width, 0.6 + 3.4 * len(panels)), layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False, sharex=True)[:, 0]
    for ax, (unit, columns) in zip(axes, panels):
        plot_panel(ax, table, unit, columns)
    axes[-1].set_xticks(range(len(table.rows)),
                        [textwrap.fill(table.label(r), 22) for r in table.rows])
    fig.suptitle(table.title, fontsize=12)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)


def _series(table: Table, columns: list[Column]) -> list[tuple[Column, str, bool]]:
    """The bars of each row, left to right: (column, colour, paper?), ours before the paper's."""
    series = []
    for j, column in enumerate(columns):
        series.append((column, f"C{j}", False))
        if any(table.paper.get((row, column.name)) is not None for row in table.rows):
            series.append((column, f"C{j}", True))
    return series


def plot_panel(ax: Axes, table: Table, unit: str, columns: list[Column]) -> None:
    """Bars of one unit, each labelled with its value, and a legend of columns and sources."""
    series = _series(table, columns)
    bar = 0.84 / len(series)
    top = 0.0
    for s, (column, color, paper) in enumerate(series):
        values = table.paper if paper else table.ours
        heights = [values.get((row, column.name)) for row in table.rows]
        x = [i + (s - (len(series) - 1) / 2) * bar for i in range(len(table.rows))]
        style = (dict(facecolor=to_rgba(color, 0.3), edgecolor=color, hatch="///") if paper
                 else dict(color=color))
        intervals = [None if paper else table.intervals.get((row, column.name)) for row in table.rows]
        error = [[h - i.low if i and h is not None else 0.0 for h, i in zip(heights, intervals)],
                 [i.high - h if i and h is not None else 0.0 for h, i in zip(heights, intervals)]]
        bars = ax.bar(x, [h or 0.0 for h in heights], bar, linewidth=0.6,
                      yerr=error if any(intervals) else None,
                      error_kw=dict(elinewidth=0.8, capsize=2, ecolor="0.2"), **style)
        ax.bar_label(bars, [format_value(h, unit, shown=True) for h in heights],
                     rotation=90, padding=2, fontsize=7)
        top = max([top] + [h for h in heights if h is not None] + [i.high for i in intervals if i])
    handles = [Patch(color=color, label=col.heading) for col, color, paper in series if not paper]
    handles.append(Patch(facecolor="0.4", edgecolor="0.4", label="ours"))
    if any(paper for *_, paper in series):
        handles.append(Patch(facecolor="0.88", edgecolor="0.4", hatch="///", label="paper"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              fontsize=9)
    ax.set_ylim(0, top * 1.2 if top > 0 else 1.0)
    ax.set_ylabel(UNITS[unit].axis_label)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
