"""Tables as CSV, Markdown and bar charts, and the generated report."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from posec3d.stats import Interval
from posec3d.tables.curves import curve_groups, plot_curves
from posec3d.tables.report import write_report
from posec3d.tables.table import Column, Table, TableError, format_value, plot_table, read_csv, to_markdown, write_csv

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make_table(name: str = "table4", label_gym: str = "FineGYM (synthetic analog)") -> Table:
    """Two rows, an accuracy and a parameter column; some cells n/a on one side or both."""
    return Table(
        name=name,
        title=f"Table {name[-1]}: 3D-CNN vs. GCN",
        rows=["gym", "ntu60"],
        row_labels={"gym": label_gym, "ntu60": "NTU-60 | XSub"},
        columns=[Column("cnn_1clip", "3D-CNN 1-clip", "%", "3D-CNN"),
                 Column("cnn_params", "Params", "M", "3D-CNN")],
        ours={("gym", "cnn_1clip"): 87.456, ("gym", "cnn_params"): 2.0349,
              ("ntu60", "cnn_1clip"): None},
        paper={("gym", "cnn_1clip"): 92.4, ("gym", "cnn_params"): 2.0,
               ("ntu60", "cnn_1clip"): 93.1, ("ntu60", "cnn_params"): None},
        provenance={"gym": {"profile": "default", "pose_source": "hq-gt", "git_commit": "abc1234",
                            "run_ids": "r1;r2"},
                    "ntu60": {"profile": "default", "pose_source": "hq-gt",
                              "git_commit": "abc1234"}},
        notes=["Numbers come from the synthetic world."],
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_csv_round_trip_with_missing_values(tmp_path: Path) -> None:
    path = tmp_path / "results" / "table4.csv"
    write_csv(make_table(), path)
    gym, ntu = read_csv(path)
    assert (gym["row"], gym["label"]) == ("gym", "FineGYM (synthetic analog)")
    assert ntu["label"] == "NTU-60 | XSub"
    # accuracy to 2 decimals, parameters to 3
    assert (gym["cnn_1clip"], gym["cnn_1clip_paper"]) == ("87.46", "92.40")
    assert (gym["cnn_params"], gym["cnn_params_paper"]) == ("2.035", "2.000")
    # None and absent cells are empty on both sides
    assert (ntu["cnn_1clip"], ntu["cnn_1clip_paper"]) == ("", "93.10")
    assert (ntu["cnn_params"], ntu["cnn_params_paper"]) == ("", "")
    assert [p.name for p in path.parent.iterdir()] == ["table4.csv"]


def test_csv_column_order_and_provenance_union(tmp_path: Path) -> None:
    path = tmp_path / "table4.csv"
    write_csv(make_table(), path)
    header = path.read_text().splitlines()[0].split(",")
    assert header == ["row", "label", "cnn_1clip", "cnn_1clip_paper", "cnn_params",
                      "cnn_params_paper", "git_commit", "pose_source", "profile", "run_ids"]
    gym, ntu = read_csv(path)
    assert (gym["git_commit"], gym["run_ids"]) == ("abc1234", "r1;r2")
    assert (ntu["profile"], ntu["run_ids"]) == ("default", "")


def test_bad_tables_are_refused(tmp_path: Path) -> None:
    table = make_table()
    table.ours[("gym", "cnn_10clip")] = 93.0  # a typo'd column name must not vanish silently
    with pytest.raises(TableError, match=r"table 'table4'.*unknown cell \('gym', 'cnn_10clip'\)"):
        write_csv(table, tmp_path / "t.csv")
    table = make_table()
    table.provenance["gym"]["cnn_1clip"] = "x"
    with pytest.raises(TableError, match="clash"):
        write_csv(table, tmp_path / "t.csv")
    table = make_table()
    table.paper[("gym", "cnn_1clip")] = float("nan")
    with pytest.raises(TableError, match="paper value of cell"):
        to_markdown(table)
    with pytest.raises(TableError, match="unknown unit 'fps'"):
        Column("speed", "Speed", "fps")
    assert not list(tmp_path.iterdir())


def test_values_keep_the_units_precision_and_two_significant_digits() -> None:
    accuracy = [format_value(v, "%", shown=True) for v in (92.04, 0.0, -3.26)]
    params = [format_value(v, "M", shown=True) for v in (2.8, 0.52, 0.0123)]
    assert (accuracy, params) == (["92.0", "0.0", "-3.3"], ["2.80", "0.52", "0.012"])
    assert [format_value(v, "G") for v in (15.9, 0.0042)] == ["15.900", "0.0042"]
    assert (format_value(None, "M"), format_value(None, "M", shown=True)) == ("", "n/a")


def test_read_csv_refuses_other_files(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text("top1,top5\n90.0,99.0\n")
    with pytest.raises(TableError, match="metrics.csv: not a table CSV"):
        read_csv(path)


def test_markdown_shows_ours_over_paper() -> None:
    text = to_markdown(make_table(), figure="figures/table4.png")
    lines = text.splitlines()
    assert lines[0] == "## Table 4: 3D-CNN vs. GCN"
    assert "|  | 3D-CNN 1-clip (%) | 3D-CNN Params (M) |" in lines
    assert "| FineGYM (synthetic analog) | 87.5 / 92.4 | 2.03 / 2.00 |" in lines
    # the pipe in a label is escaped; one side missing shows n/a, both missing one n/a
    assert r"| NTU-60 \| XSub | n/a / 93.1 | n/a |" in lines
    assert "![Table 4: 3D-CNN vs. GCN](figures/table4.png)" in lines
    assert "- Numbers come from the synthetic world." in lines
    assert "- all rows: profile `default`, pose source `hq-gt`, git commit `abc1234`" in lines


def with_intervals() -> Table:
    """make_table with its accuracy column measured: gym's cell over 3 seeds, on 412 clips."""
    table = make_table()
    table.columns[0] = Column("cnn_1clip", "3D-CNN 1-clip", "%", "3D-CNN", interval=True)
    table.intervals = {("gym", "cnn_1clip"): Interval(87.456, 84.1234, 90.5, 412, 3, 1.25)}
    return table


def test_intervals_in_the_csv(tmp_path: Path) -> None:
    path = tmp_path / "table4.csv"
    write_csv(with_intervals(), path)
    header = path.read_text().splitlines()[0].split(",")
    assert header[2:9] == ["cnn_1clip", "cnn_1clip_ci_low", "cnn_1clip_ci_high", "cnn_1clip_n_val",
                           "cnn_1clip_seeds", "cnn_1clip_seed_sd", "cnn_1clip_paper"]
    assert "cnn_params_ci_low" not in header  # a count has no interval
    gym, ntu = read_csv(path)
    assert [gym[f"cnn_1clip_{k}"] for k in ("ci_low", "ci_high", "n_val", "seeds", "seed_sd")] == [
        "84.12", "90.50", "412", "3", "1.25"]
    assert [ntu[f"cnn_1clip_{k}"] for k in ("ci_low", "ci_high", "n_val", "seeds", "seed_sd")] == [""] * 5


def test_intervals_in_markdown_say_what_they_mean() -> None:
    lines = to_markdown(with_intervals()).splitlines()
    assert "| FineGYM (synthetic analog) | 87.5 [84.1, 90.5] / 92.4 | 2.03 / 2.00 |" in lines
    assert ("Brackets: a 95% percentile-bootstrap interval over the 412 validation clips of each row "
            "(the same resampled clips for every cell of a row); each value is the mean of 3 training "
            "seeds.") in lines


def test_intervals_must_fit_their_cells() -> None:
    table = with_intervals()
    table.intervals[("gym", "cnn_params")] = Interval(2.0, 1.9, 2.1, 10, 1)
    with pytest.raises(TableError, match="whose column carries none"):
        table.check()
    table = with_intervals()
    table.intervals[("gym", "cnn_1clip")] = Interval(87.456, 88.0, 90.5, 412, 1)
    with pytest.raises(TableError, match="outside its interval"):
        table.check()


def test_plot_draws_error_bars(tmp_path: Path) -> None:
    """The chart with intervals differs from the one without (the bars carry error bars)."""
    plain, barred = tmp_path / "plain.png", tmp_path / "barred.png"
    plot_table(make_table(), plain)
    plot_table(with_intervals(), barred)
    assert png_size(plain) == png_size(barred)
    assert plain.read_bytes() != barred.read_bytes()


def test_markdown_provenance_per_row_when_rows_differ() -> None:
    table = make_table()
    table.provenance["ntu60"]["pose_source"] = "lq-det"
    lines = to_markdown(table).splitlines()
    assert ("- FineGYM (synthetic analog): profile `default`, pose source `hq-gt`, "
            "git commit `abc1234`") in lines
    assert "- NTU-60 | XSub: profile `default`, pose source `lq-det`, git commit `abc1234`" in lines


def test_plot_writes_a_deterministic_png(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "table4.png", tmp_path / "b" / "table4.png"
    plot_table(make_table(), first)
    plot_table(make_table(), second)
    width, height = png_size(first)
    assert 600 <= width <= 2500 and 300 <= height <= 1500
    assert first.read_bytes() == second.read_bytes()
    # a panel per unit makes the figure taller
    plot_table(make_table(), second, units=("%", "M"))
    assert png_size(second)[1] > height


def test_plot_a_model_beyond_the_paper(tmp_path: Path) -> None:
    """A column with no paper value at all draws our bars only, and still plots."""
    table = make_table()
    table.columns.append(Column("pa3d", "PA3D", "%"))
    table.ours[("gym", "pa3d")] = 80.0
    path = tmp_path / "table4.png"
    plot_table(table, path)
    assert png_size(path)[0] >= 600


def test_plot_failure_leaves_no_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "table4.png"
    path.write_bytes(b"previous figure")
    # an invalid mathtext label only fails while the PNG is being rendered
    with pytest.raises(ValueError):
        plot_table(make_table(label_gym=r"$\notacommand$"), path)
    with pytest.raises(TableError, match="must end in .png"):
        plot_table(make_table(), tmp_path / "table4.svg")
    with pytest.raises(TableError, match=r"no column has a unit in \('G',\)"):
        plot_table(make_table(), path, units=("G",))
    with pytest.raises(TableError, match=r"unknown unit\(s\) \['fps'\]"):
        plot_table(make_table(), path, units=("%", "fps"))
    assert [p.name for p in tmp_path.iterdir()] == ["table4.png"]
    assert path.read_bytes() == b"previous figure"


def write_sections(tmp_path: Path, *tables: Table) -> list[Path]:
    """Each table's Markdown file as `posec3d table` writes it: in results/, its chart in figures/."""
    paths = []
    for table in tables:
        path = tmp_path / "results" / f"{table.name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_markdown(table, figure=f"figures/{table.name}.png"))
        paths.append(path)
    return paths


REPORT_ARGS = dict(git_commit="abc1234", header_note="Regenerate: `snakemake --cores all results/report.md`.")


def test_report_has_every_table_and_figure(tmp_path: Path) -> None:
    path = tmp_path / "results" / "report.md"
    sections = write_sections(tmp_path, make_table("table4"), make_table("table5"))
    write_report(sections, path, profile="default", **REPORT_ARGS)
    text = path.read_text()
    assert text.startswith("# posec3d-bench results\n")
    assert "Profile `default`, code at git commit `abc1234`" in text and "synthetic world" in text
    assert "Regenerate: `snakemake --cores all results/report.md`." in text
    for title in ("Table 4: 3D-CNN vs. GCN", "Table 5: 3D-CNN vs. GCN"):
        assert f"\n## {title}\n" in text
    # the contents link the headings by GitHub's ids
    assert "- [Table 4: 3D-CNN vs. GCN](#table-4-3d-cnn-vs-gcn)" in text
    assert "- [Table 5: 3D-CNN vs. GCN](#table-5-3d-cnn-vs-gcn)" in text
    assert "![Table 4: 3D-CNN vs. GCN](figures/table4.png)" in text
    # each section is the table file's text, copied, not rebuilt
    for section in sections:
        assert section.read_text() in text


def test_report_relinks_figures_from_its_own_folder(tmp_path: Path) -> None:
    sections = write_sections(tmp_path, make_table("table4"))
    path = tmp_path / "site" / "report.md"
    write_report(sections, path, profile="default", **REPORT_ARGS)
    assert "![Table 4: 3D-CNN vs. GCN](../results/figures/table4.png)" in path.read_text()


def test_report_is_byte_identical_and_names_its_source(tmp_path: Path) -> None:
    first, second = tmp_path / "results" / "report.md", tmp_path / "results" / "report2.md"
    sections = write_sections(tmp_path, make_table("table4"), make_table("table5"))
    write_report(sections, first, profile="default", **REPORT_ARGS)
    write_report(sections, second, profile="default", **REPORT_ARGS)
    assert first.read_bytes() == second.read_bytes()

    table = make_table(label_gym="FineGYM")
    table.notes = []
    write_report(write_sections(tmp_path, table), first, profile="paper", **REPORT_ARGS)
    assert "synthetic" not in first.read_text().lower()
    assert "paper's datasets" in first.read_text()


def test_report_refuses_inconsistent_input(tmp_path: Path) -> None:
    (section,) = write_sections(tmp_path, make_table("table4"))
    with pytest.raises(TableError, match=r"table4.md'\] given more than once"):
        write_report([section, section], tmp_path / "report.md", profile="default", **REPORT_ARGS)
    stray = tmp_path / "notes.md"
    stray.write_text("some notes\n")
    with pytest.raises(TableError, match=r"notes.md: not a table section"):
        write_report([section, stray], tmp_path / "report.md", profile="default", **REPORT_ARGS)
    assert not (tmp_path / "report.md").exists()


def sweep_table() -> Table:
    """Table 5's shape: two models (groups) tested at three keypoint-drop probabilities (x)."""
    columns = [Column(f"{m}_{i}", f"p={p}", "%", group, interval=True, x=p)
               for m, group in (("gcn", "GCN"), ("cnn", "3D-CNN")) for i, p in ((2, 1.0), (0, 0.0), (1, 0.5))]
    ours = {("gym", c.name): 80.0 - 10 * c.x if c.group == "GCN" else 85.0 for c in columns}
    intervals = {cell: Interval(v, v - 2, v + 2, 600, 1) for cell, v in ours.items()}
    return Table(name="table5", title="Table 5", rows=["gym"], row_labels={}, columns=columns, ours=ours,
                 paper={("gym", c.name): 90.0 for c in columns}, provenance={}, intervals=intervals,
                 x_label="p")


def test_curves_group_columns_in_increasing_x(tmp_path: Path) -> None:
    groups = curve_groups(sweep_table())
    assert list(groups) == ["GCN", "3D-CNN"]
    assert [c.name for c in groups["GCN"]] == ["gcn_0", "gcn_1", "gcn_2"]
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    plot_curves(sweep_table(), first)
    plot_curves(sweep_table(), second)
    assert first.read_bytes() == second.read_bytes() and png_size(first)[0] >= 600
    with pytest.raises(TableError, match="no accuracy column has an x position"):
        plot_curves(make_table(), tmp_path / "c.png")


def test_matrices_need_distinct_cells_and_are_deterministic(tmp_path: Path) -> None:
    from posec3d.tables.matrices import matrix_groups, plot_matrices

    columns = [Column(f"{m}_{a}_{b}", f"{a}->{b}", "%", m, interval=True) for m in ("GCN", "CNN")
               for a in ("LQ", "HQ") for b in ("LQ", "HQ")]
    matrix = {c.name: {"train": c.name.split("_")[1], "test": c.name.split("_")[2]} for c in columns}
    table = Table(name="figure5", title="Figure 5", rows=["gym"], row_labels={}, columns=columns,
                  ours={("gym", c.name): 70.0 for c in columns}, paper={("gym", "GCN_LQ_LQ"): 89.0},
                  provenance={})
    groups = matrix_groups(table, matrix)
    assert groups["CNN"][("HQ", "LQ")] == "CNN_HQ_LQ" and len(groups) == 2
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    plot_matrices(table, matrix, first)
    plot_matrices(table, matrix, second)
    assert first.read_bytes() == second.read_bytes()
    clash = {**matrix, "GCN_HQ_HQ": {"train": "LQ", "test": "LQ"}}
    with pytest.raises(TableError, match="share the matrix cell train LQ, test LQ"):
        plot_matrices(table, clash, tmp_path / "c.png")


def test_measured_speeds_come_from_the_runs_records(tmp_path: Path) -> None:
    """A leaderboard's speeds: training clips over training seconds of the run's epochs, and the
    test's own clips per second, with the hardware each record names."""
    from posec3d import plan
    from posec3d.tables.build import measured_speed

    run = plan.Run("gym", "hq-gt", "pa3d", "joint", "uniform", 0)
    (tmp_path / run.dir).mkdir(parents=True)
    (tmp_path / run.dir / "history.json").write_text(json.dumps([
        {"epoch": 1, "clips": 100, "seconds": 4.0, "machine": "cpu: X, 1 thread"},
        {"epoch": 2, "clips": 100, "seconds": 6.0, "machine": "cpu: X, 1 thread"}]))
    (tmp_path / run.test_metrics(10)).write_text(json.dumps({"clips_per_second": 55.5, "machine": "cpu: Y"}))
    train = plan.Cell("models", "gym", "pa3d/train_speed", runs=(run,), speed="train")
    test = plan.Cell("models", "gym", "pa3d/test_speed", runs=(run,), clips=10, speed="test")
    assert measured_speed(train, tmp_path) == (20.0, "cpu: X, 1 thread")
    assert measured_speed(test, tmp_path) == (55.5, "cpu: Y")
    (tmp_path / run.dir / "history.json").write_text(json.dumps([{"epoch": 1, "seconds": 4.0}]))  # older record
    assert measured_speed(train, tmp_path) == (None, "")
