"""The plan: pose sources extracted from video, the Table 3 cells behind them, the run matrix."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from posec3d import plan
from posec3d.config import read_mapping


@pytest.fixture(scope="module")
def default() -> dict:
    return read_mapping(plan.ROOT / "params" / "default.yaml")


@pytest.mark.parametrize("source, expected", [
    ("hq-gt", plan.Extraction("hq", "gt", False)),
    ("lq-detection", plan.Extraction("lq", "detection", False)),
    ("hq-tracking", plan.Extraction("hq", "tracking", False)),
    ("hq-gt-heatmap", plan.Extraction("hq", "gt", True)),
    ("bu", plan.Extraction("bu", "none", False)),
    ("gt-2d", None),
    ("sensor-3d", None),
])
def test_extraction_names(default: dict, source: str, expected: plan.Extraction | None) -> None:
    assert plan.extraction(default, source) == expected


@pytest.mark.parametrize("source, message", [
    ("hq", "needs boxes"),
    ("hq-boxes", "needs boxes"),
    ("bu-gt", "takes no person boxes"),
    ("bu-heatmap", "only top-down"),
])
def test_bad_extraction_names_are_refused(default: dict, source: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan.extraction(default, source)


def test_every_extractable_source_is_a_valid_extraction(default: dict) -> None:
    """What the extract rule accepts as a target: every estimator x box source, asked for by a run or not."""
    sources = plan.extractable_sources(default)
    assert {"hq-gt", "hq-detection", "hq-tracking", "lq-gt-heatmap", "bu"} <= set(sources)
    assert set(plan.extracted_sources(default)) <= set(sources) and "detector-gt" not in sources
    assert all(plan.extraction(default, source) is not None for source in sources)


def _videos_profile(default: dict, main: str) -> dict:
    """The default profile with one `videos:` dataset, Table 4 on it, poses `main`."""
    mine = {"videos": {"path": "my/videos", "labels": "my/labels.csv"}, "splits": {"train": "train", "val": "val"},
            "metric": "top1", "pose_sources": {"main": main}}
    return {**default, "datasets": {**default["datasets"], "mine": mine}, "tables": {"table4": {"rows": ["mine"]}}}


def test_a_videos_dataset_reads_poses_extracted_in_detector_boxes(default: dict) -> None:
    for main in ("hq-detection", "hq-tracking", "bu"):
        plan.check_video_datasets(_videos_profile(default, main))
    with pytest.raises(ValueError, match="datasets.mine is a videos dataset: pose source 'hq-gt' .* needs GT person"):
        plan.check_video_datasets(_videos_profile(default, "hq-gt"))
    with pytest.raises(ValueError, match="pose source 'gt-2d' .* needs synthetic scenes"):
        plan.check_video_datasets(_videos_profile(default, "gt-2d"))
    frames = _videos_profile(default, "hq-detection")
    frames["estimators"] = {**frames["estimators"], "frames": {**frames["estimators"]["frames"], "datasets": ["mine"]}}
    with pytest.raises(ValueError, match="estimators.frames.datasets: 'mine' is not a synthetic dataset"):
        plan.check_video_datasets(frames)


def test_detection_and_tracking_need_the_detector(default: dict) -> None:
    assert plan.extraction(default, "hq-tracking").detector(default) == default["extraction"]["detector"]
    assert plan.extraction(default, "hq-gt").detector(default) is None


def test_table3_cells_share_runs_with_table4(default: dict) -> None:
    """Table 3b's HR-TD and 3d's Coordinate-HQ cells are Table 4's 3D-CNN run, trained once."""
    table4 = {r for c in plan.cells(default, "table4") for r in c.runs}
    table3b = {c.column: c for c in plan.cells(default, "table3b")}
    table3d = {c.column: c for c in plan.cells(default, "table3d")}
    assert set(table3b["hr_td_acc"].runs) <= table4
    assert set(table3d["coord_hq"].runs) <= table4
    assert table3b["hr_bu_ap"].estimator == "bu" and table3b["hr_bu_ap"].estimator_metric == "AP"
    assert table3d["heatmap_hq"].runs[0].poses == "hq-gt-heatmap"
    assert set(plan.extracted_sources(default)) == {
        "bu", "hq-detection", "hq-gt", "hq-gt-heatmap", "hq-tracking", "lq-gt", "lq-gt-heatmap"}


def test_heatmap_sources_train_on_stored_heatmaps(default: dict) -> None:
    run = next(c.runs[0] for c in plan.cells(default, "table3d") if c.column == "heatmap_lq")
    assert plan.run_config(default, run)["input"]["source"] == "heatmaps"
    coordinates = next(c.runs[0] for c in plan.cells(default, "table3d") if c.column == "coord_lq")
    assert plan.run_config(default, coordinates)["input"].get("source", "coordinates") == "coordinates"


def matrix_from_yaml(profile: dict) -> tuple[int, set[tuple], set[tuple]]:
    """(cells, runs, tests) of a profile, counted from the YAML alone, not through posec3d.plan.

    A table has rows x columns cells; each (row, run column) pair is one training run named by
    (dataset, concrete pose source, model, modality, sampling as the profile maps it, seed) per seed (the column's
    seed, else the table's seeds, else the profile's seeds, else its seed), and one test per clip
    count and keypoint-drop probability; tables that name the same run share it. A fused modality
    ("joint+limb", Table 8) or model ("pa3d+pa3d-diff") is tested as one run but trains one run per
    modality or model. Columns of the paper's numbers only (no run, count or estimator) have no
    cells. A leaderboard has, per model of the profile with a recipe (or per model its profile
    entry names) and row, a main-pose joint run tested with each declared clip count, four counts
    (parameters and MACs at two inputs) and two speeds of that run (training; the last test).
    """
    declared = read_mapping(plan.ROOT / "params" / "tables.yaml")
    cells, runs, tests = 0, set(), set()
    for name, chosen in profile["tables"].items():
        chosen = chosen or {}
        rows, columns = chosen.get("rows", declared[name]["rows"]), declared[name].get("columns", [])
        if "leaderboard" in declared[name]:
            models = chosen.get("models") or [m for m, e in profile["models"].items() if "recipe" in e]
            clips = declared[name]["leaderboard"]["clips"]
            for model in models:
                run = {"model": model}
                columns = columns + [{"run": run, "clips": k} for k in clips] + [{"count": model}] * 4 + [
                    {"run": run, "speed": "train"}, {"run": run, "speed": "test", "clips": max(clips)}]
        cells += len(rows) * len([c for c in columns if {"run", "count", "estimator"} & set(c)])
        for row, column in itertools.product(rows, [c for c in columns if "run" in c]):
            spec = column["run"]
            poses = spec.get("poses", "main")
            seeds = ([spec["seed"]] if "seed" in spec
                     else chosen.get("seeds", profile.get("seeds", [profile["seed"]])))
            for seed in seeds:
                sampling = spec.get("sampling", "uniform")
                own = profile["datasets"][row].get("pose_sources", {})  # a dataset's names first

                def resolve(name: str, own: dict = own) -> str:
                    return own.get(name, profile["pose_sources"].get(name, name))
                run = (row, resolve(poses), spec["model"],
                       spec.get("modality", "joint"), chosen.get("sampling", {}).get(sampling, sampling), seed)
                runs.update((*run[:2], model, modality, *run[4:])
                            for model in run[2].split("+") for modality in run[3].split("+"))
                on = resolve(spec["test_poses"]) if "test_poses" in spec else None
                on = None if on == run[1] else on
                tests.add((run, column.get("clips", 1), column.get("keypoint_drop", 0), on))
    return cells, runs, tests


@pytest.mark.parametrize("profile", ["smoke", "default", "paper"])
def test_run_and_cell_counts_are_the_matrix_declared(profile: str) -> None:
    config = read_mapping(plan.ROOT / "params" / f"{profile}.yaml")
    cells, runs, tests = matrix_from_yaml(config)
    planned = [c for t in config["tables"] for c in plan.cells(config, t)]
    assert len(planned) == cells
    assert {(r.dataset, r.poses, r.model, r.modality, r.sampling, r.seed) for r in plan.runs(config)} == runs
    assert len(plan.runs(config)) == len(runs)
    assert {(r, c.clips, c.keypoint_drop, c.test_poses) for c in planned for r in c.runs} == {
        (plan.Run(*r), k, p, on) for r, k, p, on in tests}


def test_seeds_give_one_run_per_seed_behind_each_cell(default: dict) -> None:
    """A profile's `seeds` reach every table; a table's own `seeds` win for that table."""
    seeded = {**default, "seeds": [0, 1], "tables": {**default["tables"], "table4": {"seeds": [3, 4, 5]}}}
    _, runs, _ = matrix_from_yaml(seeded)
    assert {(r.dataset, r.poses, r.model, r.modality, r.sampling, r.seed) for r in plan.runs(seeded)} == runs
    gcn = next(c for c in plan.cells(seeded, "table4") if c.column == "gcn_acc")
    gt = next(c for c in plan.cells(seeded, "table3c") if c.column == "gt")
    assert [r.seed for r in gcn.runs] == [3, 4, 5] and [r.seed for r in gt.runs] == [0, 1]
    assert {r.dir for r in gt.runs} == {f"runs/gym/hq-gt/msg3d_joint_uniform_s{s}" for s in (0, 1)}
    with pytest.raises(ValueError, match="without repeats"):
        plan.cells({**default, "seeds": [1, 1]}, "table4")


def test_table5_tests_the_table4_runs_under_keypoint_drops(default: dict) -> None:
    """Table 5's GCN and 3D-CNN rows are Table 4's gym runs, tested again with drops (one file per
    p); its robust GCN is one more run, MS-G3D trained with drops."""
    table4 = {r for c in plan.cells(default, "table4") for r in c.runs}
    table5 = {c.column: c for c in plan.cells(default, "table5")}
    assert set(table5["gcn_p1"].runs) <= table4 and set(table5["cnn_p1_8"].runs) <= table4
    assert [r.dir for r in table5["robust_p0"].runs] == ["runs/gym/hq-gt/msg3d-robust_joint_uniform_s0"]
    assert {c.keypoint_drop for c in table5.values()} == {0.0, 0.125, 0.25, 0.5, 1.0}
    assert table5["gcn_p0"].scores_files == ("runs/gym/hq-gt/msg3d_joint_uniform_s0/test_1clip.npz",)
    assert table5["cnn_p1_4"].scores_files == (
        "runs/gym/hq-gt/pose-slowonly_joint_uniform_s0/test_1clip_drop0.25.npz",)
    assert table5["robust_p1"].runs[0].test_metrics(1, 1.0).endswith("/test_1clip_drop1.json")
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        plan.test_name(1, 1.5)


def test_a_model_with_a_base_takes_its_recipe_and_settings(default: dict) -> None:
    """msg3d-robust is MS-G3D's entry plus its own training setting, at every level (profile
    settings, then a dataset's settings of the base, then its own)."""
    robust = plan.Run("gym", "hq-gt", "msg3d-robust", "joint", "uniform", 0)
    plain = plan.Run("gym", "hq-gt", "msg3d", "joint", "uniform", 0)
    assert plan.model_lineage(default, "msg3d-robust") == ["msg3d", "msg3d-robust"]
    robust_cfg, plain_cfg = plan.run_config(default, robust), plan.run_config(default, plain)
    assert robust_cfg["train"].pop("keypoint_drop") == 0.5
    assert robust_cfg == plain_cfg
    gym = default["datasets"]["gym"]
    tuned = {**default, "datasets": {**default["datasets"], "gym": {
        **gym, "models": {"msg3d": {"train": {"epochs": 3}}, "msg3d-robust": {"train": {"epochs": 5}}}}}}
    assert plan.run_config(tuned, plain)["train"]["epochs"] == 3
    assert plan.run_config(tuned, robust)["train"]["epochs"] == 5
    cycle = {**default, "models": {"a": {"base": "b"}, "b": {"base": "a"}}}
    with pytest.raises(ValueError, match="cycle"):
        plan.model_entry(cycle, "a")
    with pytest.raises(ValueError, match="base 'nope' is not in the profile's models"):
        plan.model_entry({**default, "models": {"a": {"base": "nope"}}}, "a")


def test_figure3_strides_keep_the_papers_window_in_seconds(default: dict) -> None:
    """The default profile samples 8 frames at 15 frames/s: the paper's strides 2-4 of 32 frames at
    30 frames/s become 4-8, and the runs are Pose-SlowOnly at 8 frames; cropping's uniform run is
    Figure 3's NTU-60 one, trained once."""
    figure3 = {(c.row, c.column): c.runs[0] for c in plan.cells(default, "figure3")}
    assert [figure3[("gym", f"stride{s}")].sampling for s in (2, 3, 4)] == ["stride4", "stride6", "stride8"]
    fps = default["datasets"]["gym"]["synth"]["set"]["fps"]
    for paper, ours in ((2, 4), (3, 6), (4, 8)):
        run = figure3[("gym", f"stride{paper}")]
        clip_len = plan.run_config(default, run)["input"]["clip_len"]
        assert plan.run_config(default, run)["input"]["stride"] == ours
        assert clip_len * ours / fps == pytest.approx(32 * paper / 30)
    cropping = {c.column: c.runs[0] for c in plan.cells(default, "cropping")}
    assert cropping["with_crop"] == figure3[("ntu60", "uniform")]
    assert plan.run_config(default, cropping["without_crop"])["input"]["crop"] is False


def test_figure5_pairs_each_training_source_with_each_test_source(default: dict) -> None:
    """Figure 5's cells test the runs of Tables 3 and 4 (and two more) on the other pose source:
    the diagonal is the plain test, an off-diagonal cell the `_on-<source>` test of the same run."""
    cells = {c.column: c for c in plan.cells(default, "figure5")}
    assert cells["gcn_est_hq_hq"].scores_files == ("runs/gym/hq-gt/msg3d_joint_uniform_s0/test_1clip.npz",)
    assert cells["gcn_est_hq_lq"].scores_files == (
        "runs/gym/hq-gt/msg3d_joint_uniform_s0/test_1clip_on-lq-gt.npz",)
    assert cells["cnn_box_track_gt"].scores_files == (
        "runs/gym/hq-tracking/pose-slowonly_joint_uniform_s0/test_10clip_on-hq-gt.npz",)
    assert cells["cnn_est_lq_lq"].test_poses is None and cells["cnn_est_lq_lq"].runs[0].poses == "lq-gt"
    trained_elsewhere = {r for t in ("table3b", "table3c", "table3d", "table4") for c in plan.cells(default, t)
                         for r in c.runs}
    new = {r for c in cells.values() for r in c.runs} - trained_elsewhere
    assert {(r.poses, r.model) for r in new} == {("lq-gt", "msg3d"), ("hq-tracking", "pose-slowonly")}
    with pytest.raises(ValueError, match="not both"):
        plan.test_name(1, 0.5, "lq-gt")


def test_table3a_reads_each_datasets_own_3d_source(default: dict) -> None:
    """The 3D column is the Kinect model on NTU-60 and the monocular-estimator model on FineGYM; the
    2D HQ column is Table 4's MS-G3D run."""
    cells = {(c.row, c.column): c.runs[0] for c in plan.cells(default, "table3a")}
    assert cells[("ntu60", "skeleton_3d")].poses == "sensor-3d"
    assert cells[("gym", "skeleton_3d")].poses == "estimated-3d"
    gcn = {c.row: c.runs[0] for c in plan.cells(default, "table4") if c.column == "gcn_acc"}
    assert cells[("gym", "hq_2d")] == gcn["gym"] and cells[("ntu60", "lq_2d")].poses == "lq-gt"
    assert plan.pose_source(default, "3d") == "3d" and plan.pose_source(default, "main", "gym") == "hq-gt"


def test_table8_fuses_the_joint_and_limb_runs_of_each_protocol(default: dict) -> None:
    """J+L is a fused run whose members are the joint and limb runs of the same model, poses,
    sampling and seed; its test file is the fuse stage's output beside theirs. X-View and X-Set
    are datasets of their own that read X-Sub's pose files (`data:`), so no clip is extracted twice."""
    cells = {(c.row, c.column): c for c in plan.cells(default, "table8")}
    fused = cells[("ntu60xview", "fused")]
    assert fused.scores_files == ("runs/ntu60xview/hq-gt/pose-slowonly_joint+limb_uniform_s0/test_10clip.npz",)
    assert fused.trained_runs == (cells[("ntu60xview", "joint")].runs[0], cells[("ntu60xview", "limb")].runs[0])
    assert plan.parse_run_dir(fused.runs[0].dir).members == fused.trained_runs
    assert cells[("gym", "joint")].runs == next(
        c.runs for c in plan.cells(default, "table4") if c.row == "gym" and c.column == "cnn_10clip")
    assert ("gym", "previous_sota") not in cells  # the paper's numbers only
    assert all(plan.FUSED not in r.modality for r in plan.runs(default))
    assert plan.data_of(default, "ntu60xview") == "ntu60" and plan.data_of(default, "ntu120xset") == "ntu120"
    assert plan.data_of(default, "gym") == "gym"
    assert {r.dataset for r in plan.runs(default)} >= {"ntu60xview", "ntu120xset"}
    assert not {"ntu60xview", "ntu120xset"} & {plan.data_of(default, r.dataset) for r in plan.runs(default)}
    chained = {**default, "datasets": {**default["datasets"], "again": {"data": "ntu60xview"}}}
    with pytest.raises(ValueError, match="with data of its own"):
        plan.data_of(chained, "again")


def test_a_leaderboard_lists_every_model_of_the_profile_with_a_recipe(default: dict) -> None:
    """The `models` table's columns come from the profile: a new model entry with a recipe appears
    with no edit to params/tables.yaml; a `base:` variant only when the profile's table entry names it."""
    wide = {**default, "models": {**default["models"], "pose-slowonly-wide": {
        "recipe": "params/recipes/pose-slowonly.yaml", "set": {"model": {"base_channels": 16}}}}}
    models = plan.leaderboard_models(wide, "models")
    assert "pose-slowonly-wide" in models and "msg3d-robust" not in models and "pa3d-diff" not in models
    columns = {c["name"] for c in plan.tables_of(wide)["models"]["columns"]}
    assert {f"pose-slowonly-wide/{m}" for m in plan.LEADERBOARD_MEASURES} <= columns
    cells = {c.column: c for c in plan.cells(wide, "models") if c.row == "ntu60"}
    run = plan.Run("ntu60", "hq-gt", "pose-slowonly-wide", "joint", "uniform", 0)
    assert cells["pose-slowonly-wide/acc_10clip"].runs == (run,) and cells["pose-slowonly-wide/acc_10clip"].clips == 10
    assert cells["pose-slowonly-wide/train_speed"].speed_files == (f"{run.dir}/history.json",)
    assert cells["pose-slowonly-wide/test_speed"].speed_files == (run.test_metrics(10),)
    assert cells["pose-slowonly-wide/gmacs_paper"].count_model == "pose-slowonly-wide"
    named = {**wide, "tables": {"models": {"models": ["msg3d-robust"]}}}
    assert plan.leaderboard_models(named, "models") == ["msg3d-robust"]
    with pytest.raises(ValueError, match=r"tables.models.models: \['nope'\] are not models"):
        plan.leaderboard_models({**wide, "tables": {"models": {"models": ["nope"]}}}, "models")


def test_a_leaderboard_shows_table_4s_paper_values_beside_its_models_rows(default: dict) -> None:
    """`paper_from: table4`: each of Table 4's paper values lands on the leaderboard cell of the same
    model and measure; models Table 4 does not have get none."""
    declared = {c["name"]: c for c in plan.load_tables()["table4"]["columns"]}
    columns = {c["name"]: c for c in plan.tables_of(default)["models"]["columns"]}
    assert columns["pose-slowonly/acc_1clip"]["paper"] == declared["cnn_1clip"]["paper"]
    assert columns["pose-slowonly/acc_10clip"]["paper"] == declared["cnn_10clip"]["paper"]
    assert columns["msg3d/acc_1clip"]["paper"] == declared["gcn_acc"]["paper"]
    assert columns["msg3d/gmacs_paper"]["paper"] == declared["gcn_flops"]["paper"]
    assert columns["pose-slowonly/params_paper"]["paper"] == declared["cnn_params"]["paper"]
    assert "paper" not in columns["msg3d/acc_10clip"] and "paper" not in columns["msg3d/params_profile"]
    assert not [name for name, c in columns.items()
                if "paper" in c and name.split("/")[0] not in ("msg3d", "pose-slowonly")]


def test_a_leaderboards_paper_source_must_be_a_declared_table(default: dict, tmp_path: Path) -> None:
    declared = plan.load_tables()
    declared["models"]["leaderboard"]["paper_from"] = "table99"
    (tmp_path / "tables.yaml").write_text(yaml.safe_dump(declared))
    with pytest.raises(ValueError, match="table models: paper_from names 'table99', not a declared table"):
        plan.tables_of({**default, "tables_file": str(tmp_path / "tables.yaml")})


def test_stacked_modalities_give_the_model_their_channels(default: dict) -> None:
    """PA3D's J (+) L: a joint-limb run renders both volumes as one input, and its model takes
    17 + 17 channels, one temporal pose convolution per modality (PA3D's recipe names `modalities`:
    the run sets it)."""
    cell = next(c for c in plan.cells(default, "pa3d") if c.column == "j_cat_l")
    (run,) = cell.runs
    resolved = plan.run_config(default, run)
    assert resolved["input"]["modality"] == "joint-limb"
    assert resolved["model"]["in_channels"] == 34 and resolved["model"]["modalities"] == 2
    limb = plan.run_config(default, plan.Run("ntu60", "hq-gt", "pa3d", "limb", "uniform", 0))["model"]
    assert limb["in_channels"] == 17 and limb["modalities"] == 1
    with pytest.raises(ValueError, match="modality must be one of"):
        plan.run_config(default, plan.Run("ntu60", "hq-gt", "pa3d", "bone", "uniform", 0))


def test_a_fused_run_may_join_models(default: dict) -> None:
    """PA3D's J u Jdiff: the late fusion of two models' runs (pa3d, pa3d-diff) on the same poses."""
    cell = next(c for c in plan.cells(default, "pa3d") if c.column == "j_or_jdiff")
    (fused,) = cell.runs
    assert fused.dir == "runs/ntu60/hq-gt/pa3d+pa3d-diff_joint_uniform_s0"
    assert [r.model for r in cell.trained_runs] == ["pa3d", "pa3d-diff"]
    assert plan.parse_run_dir(fused.dir).members == cell.trained_runs
    with pytest.raises(ValueError, match="joins models or modalities, not both"):
        assert plan.Run("ntu60", "hq-gt", "pa3d+pa3d-diff", "joint+limb", "uniform", 0).members
