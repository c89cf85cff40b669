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
from posec3d.tables.table import TableError

PAPER_PROFILE = "paper"
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def _anchor(title: str, seen: Counter[str]) -> str:
    """GitHub's id for a heading: lower case, no punctuation, hyphens for spaces, -N if repeated."""
    slug = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
    seen[slug] += 1
    return slug if seen[slug] == 1 else f"{slug}-{seen[slug] - 1}"


def _introduction(profile: str, git_commit: str, header_note: str, level: float) -> list[str]:
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
    lines.append(f"Brackets beside an accuracy are its {level:.0%} interval: a percentile bootstrap "
                 f"over the validation clips, i.e. how much the number could move with another "
                 f"draw of validation clips of the same kind (not over training seeds: where a "
                 f"profile runs several, the value is their mean and the CSV gives their spread).")
    return [part for line in lines for part in (line, "")]


def read_section(path: str | Path) -> tuple[str, str]:
    """A table's Markdown file (as `posec3d table` writes it): its title and its text."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise TableError(f"{path}: not UTF-8 text ({err.reason})") from None
    first = text.split("\n", 1)[0]
    if not first.startswith("## ") or not first[3:].strip():
        raise TableError(f"{path}: not a table section: it must begin with a '## <title>' line")
    return first[3:].strip(), text


def _relink(text: str, source: Path, target: Path) -> str:
    """Image links of a section written in folder `source`, rewritten to work from folder `target`."""
    def relinked(match: re.Match[str]) -> str:
        link = match.group(2)
        if "://" in link or Path(link).is_absolute():
            return match.group(0)
        return f"![{match.group(1)}]({Path(os.path.relpath(source / link, target)).as_posix()})"

    return _IMAGE.sub(relinked, text)


def write_report(sections: list[Path], path: str | Path, *, profile: str, git_commit: str,
                 header_note: str, level: float = 0.95) -> None:
    """Write the report: an introduction naming the profile, a contents list, then each table.

    `sections` are the tables' Markdown files (and the claims' section), in order; `level` is the
    coverage of the tables' intervals; the report copies them and rewrites their
    image links relative to its own folder, so it rebuilds no table and the results folder can
    move as a whole.
    """
    path = Path(path)
    duplicates = sorted(str(p) for p, n in Counter(Path(s) for s in sections).items() if n > 1)
    if duplicates:
        raise TableError(f"{path}: table file(s) {duplicates} given more than once")
    read = [(Path(s), *read_section(s)) for s in sections]

    seen: Counter[str] = Counter()
    lines = ["# posec3d-bench results", ""] + _introduction(profile, git_commit, header_note, level)
    lines += [f"- [{title}](#{_anchor(title, seen)})" for _, title, _ in read] + [""]
    parts = [_relink(text, source.parent, path.parent) for source, _, text in read]
    text = "\n".join(lines) + "\n" + "\n".join(parts)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
