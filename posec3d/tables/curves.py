"""A table as curves: accuracy against a numeric setting of its columns, one line per group.

For tables whose columns are points of a sweep (Table 5: the same model tested at several
keypoint-drop probabilities p), a line per column group (model) reads better than bars: ours solid
with the intervals as error bars, the paper's dashed in the same colour, one panel per row.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from posec3d.atomic import atomic_path
from posec3d.tables.table import Column, Table, TableError


def curve_groups(table: Table) -> dict[str, list[Column]]:
    """Group -> its accuracy columns that have an x position, in increasing x."""
    groups: dict[str, list[Column]] = {}
    for column in table.columns:
        if column.x is not None and column.unit == "%":
            groups.setdefault(column.group or column.label, []).append(column)
    if not groups:
        raise TableError(f"table {table.name!r}: no accuracy column has an x position for curves")
    return {group: sorted(columns, key=lambda c: c.x) for group, columns in groups.items()}


def plot_curves(table: Table, path: str | Path) -> None:
    """Write the PNG: per row a panel, per group our line with error bars and the paper's dashed."""
    table.check()
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise TableError(f"{path}: plot_curves writes PNG; the name must end in .png")
    groups = curve_groups(table)
    xs = [c.x for columns in groups.values() for c in columns]
    dodge = 0.012 * ((max(xs) - min(xs)) or 1.0)  # our points side by side, so error bars stay apart
    fig = Figure(figsize=(7.5, 0.6 + 3.6 * len(table.rows)), layout="constrained")
    axes = fig.subplots(len(table.rows), 1, squeeze=False)[:, 0]
    for ax, row in zip(axes, table.rows):
        for g, columns in enumerate(groups.values()):
            color = f"C{g}"
            x = [c.x for c in columns]
            ours = [table.ours.get((row, c.name)) for c in columns]
            intervals = [table.intervals.get((row, c.name)) for c in columns]
            points = [(xi, v, i) for xi, v, i in zip(x, ours, intervals) if v is not None]
            if points:
                error = [[v - i.low if i else 0.0 for _, v, i in points],
                         [i.high - v if i else 0.0 for _, v, i in points]]
                shift = (g - (len(groups) - 1) / 2) * dodge
                ax.errorbar([p[0] + shift for p in points], [p[1] for p in points], yerr=error, color=color,
                            marker="o", capsize=3, linewidth=1.5)
            paper = [(xi, table.paper.get((row, c.name))) for xi, c in zip(x, columns)]
            paper = [(xi, v) for xi, v in paper if v is not None]
            if paper:
                ax.plot([p[0] for p in paper], [p[1] for p in paper], color=color, linestyle="--",
                        marker="s", markersize=4, alpha=0.6)
        ax.set_title(textwrap.fill(table.label(row), 60), fontsize=10)
        ax.set_xlabel(table.x_label)
        ax.set_ylabel("accuracy (%)")
        ax.grid(alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    handles = [Line2D([], [], color=f"C{g}", marker="o", label=group) for g, group in enumerate(groups)]
    handles += [Line2D([], [], color="0.3", marker="o", label="ours (95% interval)"),
                Line2D([], [], color="0.3", linestyle="--", marker="s", alpha=0.6, label="paper")]
    axes[0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    fig.suptitle(table.title, fontsize=12)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
