"""A table as train x test matrices (Figure 5): one heatmap per column group, a cell per column.

Each column of such a table declares `matrix: {train: <label>, test: <label>}`: the model of its
group trained on one pose source and tested on another. The heatmaps put training on the x axis
and testing on the y axis; each cell shows ours with its interval and, below, the paper's value
where it has one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from posec3d.atomic import atomic_path
from posec3d.tables.table import Table, TableError, format_value


def matrix_groups(table: Table, matrix: dict[str, dict[str, str]]) -> dict[str, dict[tuple[str, str], str]]:
    """Group -> {(train, test): column name}, for the columns that declare a matrix position."""
    groups: dict[str, dict[tuple[str, str], str]] = {}
    for column in table.columns:
        if column.name in matrix:
            where = (str(matrix[column.name]["train"]), str(matrix[column.name]["test"]))
            cells = groups.setdefault(column.group or column.label, {})
            if where in cells:
                raise TableError(f"table {table.name!r}: columns {cells[where]!r} and {column.name!r} "
                                 f"share the matrix cell train {where[0]}, test {where[1]}")
            cells[where] = column.name
    if not groups:
        raise TableError(f"table {table.name!r}: no column declares a matrix position")
    return groups


def plot_matrices(table: Table, matrix: dict[str, dict[str, str]], path: str | Path) -> None:
    """Write the PNG: per row a line of heatmaps (one per group), train on x, test on y."""
    table.check()
    groups = matrix_groups(table, matrix)
    fig = Figure(figsize=(3.6 * len(groups) + 1.0, 0.8 + 3.4 * len(table.rows)), layout="constrained")
    axes = fig.subplots(len(table.rows), len(groups), squeeze=False)
    for r, row in enumerate(table.rows):
        for ax, (group, cells) in zip(axes[r], groups.items()):
            trains = list(dict.fromkeys(t for t, _ in cells))
            tests = list(dict.fromkeys(t for _, t in cells))
            values = np.full((len(tests), len(trains)), np.nan)
            for (train, test), name in cells.items():
                value = table.ours.get((row, name))
                values[tests.index(test), trains.index(train)] = np.nan if value is None else value
            ax.imshow(values, cmap="viridis", vmin=0, vmax=100)
            for (train, test), name in cells.items():
                i, j = tests.index(test), trains.index(train)
                interval = table.intervals.get((row, name))
                text = format_value(table.ours.get((row, name)), "%", shown=True)
                if interval is not None:
                    text += f"\n[{interval.low:.1f}, {interval.high:.1f}]"
                paper = table.paper.get((row, name))
                if paper is not None:
                    text += f"\npaper {paper:.1f}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if np.isnan(values[i, j]) or values[i, j] < 60 else "black")
            ax.set_xticks(range(len(trains)), trains)
            ax.set_yticks(range(len(tests)), tests)
            ax.set_xlabel("trained on")
            ax.set_ylabel("tested on")
            ax.set_title(f"{group}\n{table.label(row)}", fontsize=9)
    fig.suptitle(table.title, fontsize=11)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
