"""results/report.md: every regenerated table with its figure, in one Markdown page.

The page has no timestamp or other ambient state, so identical inputs give a byte-identical report
and a regenerated report only shows up in a diff when a number changed.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

from posec3d.atomic import atomic_path
from posec3d.tables.table import Table, TableError, to_markdown

PAPER_PROFILE = "paper"


def _anchor(title: str, seen: Counter[str]) -> str:
    """GitHub's id for a heading: lower case, no punctuation, hyphens for spaces, -N if repeated."""
    slug = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
    seen[slug] += 1
    return slug if seen[slug] == 1 else f"{slug}-{seen[slug] - 1}"


def _introduction(profile: str, git_commit: str, header_note: str) -> list[str]:
    if profile == PAPER_PROFILE:
        source = ("The numbers come from the paper's datasets (official annotations and videos) "
                  "at the paper's input sizes and schedules.")
    else:
        source = ("**The numbers in the *ours* column come from the synthetic world**, not from "
                  "the paper's datasets: procedural analogs that mimic the factor each table "
                  "studies, at scaled-down sizes. Compare trends with the paper, not absolute "
                  "values.")
    lines = [f"Profile `{profile}`, code at git commit `{git_commit}`. {source}"]
    if header_note:
        lines.append(header_note)
    return [part for line in lines for part in (line, "")]


def write_report(tables: list[Table], figures: dict[str, str], path: str | Path, *, profile: str,
                 git_commit: str, header_note: str) -> None:
    """Write the report: an introduction naming the profile, a contents list, then each table.

    `figures` maps a table name to its chart's path (as given on the command line, or absolute);
    the report links it relative to its own folder, so the results folder can move as a whole.
    """
    path = Path(path)
    names = Counter(t.name for t in tables)
    duplicates = sorted(name for name, n in names.items() if n > 1)
    if duplicates:
        raise TableError(f"{path}: table(s) {duplicates} given more than once")
    unknown = sorted(set(figures) - set(names))
    if unknown:
        raise TableError(f"{path}: figure(s) for unknown table(s) {unknown}; "
                         f"tables: {sorted(names)}")

    seen: Counter[str] = Counter()
    lines = ["# posec3d-bench results", ""] + _introduction(profile, git_commit, header_note)
    lines += [f"- [{t.title}](#{_anchor(t.title, seen)})" for t in tables] + [""]
    sections = []
    for table in tables:
        figure = figures.get(table.name)
        if figure is not None:
            figure = Path(os.path.relpath(figure, path.parent)).as_posix()
        sections.append(to_markdown(table, figure=figure))
    text = "\n".join(lines) + "\n" + "\n".join(sections)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
