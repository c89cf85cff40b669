"""The workflow end to end: the smoke DAG, its MLflow records, what a params edit reruns, profile
validation, the DVC round trip between two clones, and the workstation and SLURM profiles.

Real Snakemake, DVC and MLflow on a copy of the project (its working tree, committed into a fresh
git repository). The smoke DAG runs once per session (285 jobs for the tables, the claims and the
report); every other test is a dry run, a no-op run or a
DVC transfer on top of it.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from posec3d import plan
from posec3d.config import read_mapping
from posec3d.mlflow_log import find_runs, tracking_uri
from posec3d.storage import load_poses
from posec3d.tables.claims import claim_cells
from tests.sample_data import MINI_UCF101

for tool in ("snakemake", "dvc", "mlflow"):  # the `workflow` extra
    pytest.importorskip(tool)

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[1]
SMOKE = "params/smoke.yaml"
FRONT_DOOR = "results/table4.csv"
TARGETS = (FRONT_DOOR, "results/report.md")
NOTHING_TO_DO = "Nothing to be done"


@dataclass(frozen=True)
class Smoke:
    """A copy of the project in which the smoke profile's DAG has run."""

    repo: Path
    profile: dict[str, Any]


@dataclass(frozen=True)
class Job:
    """One job of a dry run's plan."""

    rule: str
    wildcards: dict[str, str]
    resources: dict[str, str]

    @property
    def name(self) -> str:
        """`rule target`, e.g. 'train runs/gym/gt-2d/msg3d_joint_uniform_s0', 'table table4'."""
        w = self.wildcards
        if "run" not in w:
            return f"{self.rule} {w.get('table', '')}".strip()
        clips = f" {w['clips']}clip" if "clips" in w else ""
        clips += f"_drop{w['drop']}" if "drop" in w else f"_on-{w['on']}" if "on" in w else ""
        return f"{self.rule} runs/{w['dataset']}/{w['source']}/{w['run']}{clips}"


def _env(repo: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(repo)  # the copy's posec3d (and its plan.ROOT), not the installed one
    env.pop("MLFLOW_TRACKING_URI", None)  # the copy's own store: <copy>/mlflow.db
    env["DVC_NO_ANALYTICS"] = "1"
    for who in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{who}_NAME"] = "posec3d-bench tests"
        env[f"GIT_{who}_EMAIL"] = "tests@posec3d-bench.invalid"
    return env


def _completed(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=repo, env=_env(repo), capture_output=True, text=True)


def _run(repo: Path, *args: str) -> str:
    """Run a command in `repo` that must succeed; its stdout and stderr (Snakemake uses both)."""
    proc = _completed(repo, *args)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise AssertionError(f"`{' '.join(args)}` failed in {repo} (exit {proc.returncode}):\n"
                             f"{output[-6000:]}")
    return output


def snakemake(repo: Path, *args: str) -> str:
    return _run(repo, sys.executable, "-m", "snakemake", *args)


def dvc(repo: Path, *args: str) -> str:
    return _run(repo, sys.executable, "-m", "dvc", *args)


def git(repo: Path, *args: str) -> str:
    return _run(repo, "git", *args)


def project_copy(dest: Path) -> Path:
    """The project's working tree (tracked and untracked files, not ignored ones) as a new repo."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=PROJECT, capture_output=True, check=True).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = PROJECT / name
        if source.is_file():  # a tracked file deleted in the working tree is left out
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    git(dest, "init", "--quiet")
    git(dest, "add", "--all")
    git(dest, "commit", "--quiet", "--message", "Working tree under test")
    return dest


@pytest.fixture(scope="session")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> Smoke:
    """The smoke DAG, built once: every table of the smoke profile and the report."""
    repo = project_copy(tmp_path_factory.mktemp("workflow") / "posec3d-bench")
    snakemake(repo, "--cores", "all", *TARGETS, "--configfile", SMOKE)
    return Smoke(repo, yaml.safe_load((repo / SMOKE).read_text()))


def planned_jobs(output: str) -> list[Job]:
    """The jobs a dry run lists, read from its `rule <name>:` blocks."""
    jobs = []
    for match in re.finditer(r"^(?:local)?rule (\w+):\n((?:    .*\n?)*)", output, re.MULTILINE):
        fields = dict(line.strip().split(": ", 1) for line in match.group(2).splitlines()
                      if ": " in line)
        jobs.append(Job(match.group(1), _assignments(fields.get("wildcards", "")),
                        _assignments(fields.get("resources", ""))))
    return jobs


def _assignments(text: str) -> dict[str, str]:
    """'dataset=gym, source=gt-2d' -> {'dataset': 'gym', 'source': 'gt-2d'}."""
    return dict(item.split("=", 1) for item in text.split(", ") if "=" in item)


def write_profile(profile: dict[str, Any], path: Path, **settings: Any) -> Path:
    """`profile` with dotted keys set (e.g. `models.msg3d.set.train.epochs`), written to `path`."""
    edited = copy.deepcopy(profile)
    for dotted, value in settings.items():
        *parents, leaf = dotted.split(".")
        node = edited
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    path.write_text(yaml.safe_dump(edited, sort_keys=False))
    return path


def jobs_after_epochs_edit(smoke: Smoke, repo: Path, tmp_path: Path) -> list[str]:
    """The jobs a dry run of the front door plans after msg3d's epochs change in the profile."""
    epochs = smoke.profile["models"]["msg3d"]["set"]["train"]["epochs"] + 1
    edited = write_profile(smoke.profile, tmp_path / "epochs.yaml",
                           **{"models.msg3d.set.train.epochs": epochs})
    output = snakemake(repo, "-n", FRONT_DOOR, "--configfile", str(edited))
    return sorted(job.name for job in planned_jobs(output))


def test_smoke_dag_builds_table4_report_and_logs(smoke: Smoke) -> None:
    table = plan.tables_of(smoke.profile)["table4"]
    with open(smoke.repo / FRONT_DOOR, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["row"] for r in rows] == table["rows"] == ["gym", "ntu60", "ntu120", "k400"]
    columns = [c["name"] for c in table["columns"]]
    assert set(columns) <= set(rows[0])
    for row in rows:
        for name in ("gcn_acc", "cnn_1clip", "cnn_10clip"):
            assert 0.0 <= float(row[name]) <= 100.0, (row["row"], name)
    assert "Table 4" in (smoke.repo / "results/report.md").read_text()
    logs = smoke.repo / "logs"
    for run in plan.runs(smoke.profile):
        at = run.dir.removeprefix("runs/")
        assert (logs / f"train/{at}.log").stat().st_size > 0, run.dir
        assert (logs / f"track/{at}.log").is_file(), run.dir
        assert list((logs / "test").glob(f"{at}_*clip.log")), run.dir
    for dataset in table["rows"]:
        assert (logs / f"synth/{dataset}.log").is_file()
        assert (logs / f"render/{dataset}.log").is_file()
        assert (logs / f"extract/{dataset}/hq-gt.log").is_file()  # Table 4's poses: from video
    assert (logs / "tables/table4.log").is_file() and (logs / "report.log").is_file()


def test_smoke_dag_extracts_poses_for_table3(smoke: Smoke) -> None:
    """Tables 3b-3d: estimators trained on rendered frames, one pose file per extraction."""
    for name in ("table3b", "table3c", "table3d"):
        table = plan.tables_of(smoke.profile)[name]
        with open(smoke.repo / f"results/{name}.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        assert [r["row"] for r in rows] == table["rows"]
        for column in table["columns"]:
            value = float(rows[0][column["name"]])
            assert 0.0 <= value <= (1.0 if "estimator" in column else 100.0), (name, column["name"])
    for source in plan.extracted_sources(smoke.profile):
        extraction = plan.extraction(smoke.profile, source)
        files = list((smoke.repo / "data").glob(f"*/poses/{source}.npz"))
        assert files, source
        for path in files:
            poses = load_poses(path)
            assert poses["meta"]["extraction"]["boxes"] == extraction.boxes
            assert all(("heatmap" in clip) == extraction.heatmaps for clip in poses["annotations"])
    for name in smoke.profile["estimators"]["models"]:
        assert (smoke.repo / plan.estimator_files(name)["weights"]).is_file(), name


def test_smoke_dag_builds_the_rest_of_the_paper(smoke: Smoke) -> None:
    """Tables 3a, 5, 8, cropping, scalability and Figures 3-5: a CSV row per declared row (a length
    bin per row of Figure 4), a figure, the keypoint-drop, cross-pose and fused tests they read, and
    a verdict for every declared claim on every row; the detections file both detector-box
    extractions read; Table 8's fused tests read their members' tests, and its X-View and X-Set
    runs the X-Sub datasets' pose files (no data folder of their own)."""
    with open(smoke.repo / "results/claims.csv", newline="") as f:
        verdicts = {(r["table"], r["claim"].split(":")[0]) for r in csv.DictReader(f)}
    for name in ("table3a", "table5", "table8", "cropping", "scalability", "figure3", "figure4", "figure5", "pa3d"):
        table = plan.tables_of(smoke.profile)[name]
        with open(smoke.repo / f"results/{name}.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        if "bins" in table:
            assert {r["row"].split("@")[0] for r in rows} == set(table["rows"]) and sum(
                int(r["clips"]) for r in rows) > 0
        else:
            assert [r["row"] for r in rows] == table["rows"]
        assert (smoke.repo / f"results/figures/{name}.png").stat().st_size > 0
        assert {(name, c["name"]) for c in table["claims"]} <= verdicts, name
        for cell in plan.cells(smoke.profile, name):
            assert all((smoke.repo / f).is_file() for f in cell.scores_files), (name, cell.column)
    assert {p.name for p in (smoke.repo / "data/gym/detections").iterdir()} == {"detector.npz"}
    for cell in (c for c in plan.cells(smoke.profile, "table8") if c.column == "fused"):
        (run,) = cell.runs
        fused = json.loads((smoke.repo / run.test_metrics(10)).read_text())
        assert fused["inputs"] == [m.test_scores(10) for m in run.members] and fused["weights"] == [1.0, 1.0]
    assert not (smoke.repo / "data/ntu60xview").exists() and not (smoke.repo / "data/ntu120xset").exists()


def test_smoke_dag_builds_the_model_leaderboard(smoke: Smoke) -> None:
    """One row per model of the profile and dataset, with accuracies, counts at both inputs and
    the speeds measured on this machine; PA3D's J u Jdiff fuses two models' tests."""
    table = plan.tables_of(smoke.profile)["models"]
    models = plan.leaderboard_models(smoke.profile, "models")
    assert {"pa3d", "pose-tsn", "pose-r2plus1d", "pose-r2plus1d-light"} <= set(models)
    with open(smoke.repo / "results/models.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["row"] for r in rows] == [f"{m}@{d}" for m in models for d in table["rows"]]
    for row in rows:
        assert 0.0 <= float(row["acc_1clip"]) <= 100.0 and 0.0 <= float(row["acc_10clip"]) <= 100.0, row["row"]
        assert float(row["acc_10clip_ci_low"]) <= float(row["acc_10clip"]) <= float(row["acc_10clip_ci_high"])
        for measure in ("params_paper", "gmacs_paper", "params_profile", "gmacs_profile", "train_speed",
                        "test_speed"):
            assert float(row[measure]) > 0, (row["row"], measure)
        assert row["machine"].startswith("cpu: ") and row["run_ids"].split("/")[3].startswith(row["row"].split("@")[0])
    assert (smoke.repo / "results/figures/models.png").stat().st_size > 0
    assert table["title"] in (smoke.repo / "results/report.md").read_text()
    (fused,) = next(c for c in plan.cells(smoke.profile, "pa3d") if c.column == "j_or_jdiff").runs
    record = json.loads((smoke.repo / fused.test_metrics(10)).read_text())
    assert record["inputs"] == [m.test_scores(10) for m in fused.members] and len(fused.members) == 2


def test_second_invocation_runs_nothing(smoke: Smoke) -> None:
    outputs = [p for p in (smoke.repo / "runs").rglob("*") if p.is_file()]
    outputs += [p for p in (smoke.repo / "results").rglob("*") if p.is_file()]
    before = {p: p.stat().st_mtime_ns for p in outputs}
    assert NOTHING_TO_DO in snakemake(smoke.repo, "--cores", "all", *TARGETS, "--configfile", SMOKE)
    assert {p: p.stat().st_mtime_ns for p in outputs} == before


def test_mlflow_holds_every_run_and_the_table(smoke: Smoke) -> None:
    uri = tracking_uri(None, smoke.repo)
    experiment = smoke.profile["mlflow"]["experiment"]
    training = {r.info.run_id: r for r in find_runs(uri, experiment, kind="training")}
    records = {Path(p).parent: json.loads(p.read_text())["run_id"]
               for p in (smoke.repo / "runs").glob("*/*/*/mlflow.json")}
    assert sorted(records.values()) == sorted(training)
    assert len(training) == len(plan.runs(smoke.profile))  # the planner's count, checked against the YAML in test_plan
    declared = plan.tables_of(smoke.profile)
    in_papers = set(plan.runs(smoke.profile, [t for t in declared if "leaderboard" not in declared[t]]))
    tracked_clips = plan.tracked_clips(smoke.profile)
    for run_dir, run_id in records.items():
        tracked = training[run_id]
        assert tracked.info.run_name == run_dir.relative_to(smoke.repo).as_posix()
        run = plan.parse_run_dir(run_dir.relative_to(smoke.repo))
        clips = tracked_clips.get(run, [])  # the k-clip tests its paper tables ask for
        assert bool(clips) == (run in in_papers), run_dir  # a leaderboard-only run logs no test
        for k in clips:
            tested = json.loads((smoke.repo / run.test_metrics(k)).read_text())
            assert tracked.data.metrics[f"{plan.test_name(k)}_top1"] == pytest.approx(tested["top1"])
        logged = {key for key in tracked.data.metrics if key.startswith("test_") and key.endswith("clip_top1")}
        assert logged == {f"{plan.test_name(k)}_top1" for k in clips}, run_dir  # a leaderboard's tests are its own
    tables = {t.info.run_id: t for t in find_runs(uri, experiment, kind="table")}
    for name in declared:
        run_id = json.loads((smoke.repo / f"results/{name}.mlflow.json").read_text())["run_id"]
        behind = {records[smoke.repo / r.dir] for c in plan.cells(smoke.profile, name) for r in c.trained_runs}
        assert set(tables.pop(run_id).data.tags["source_runs"].split(",")) == behind, name
    claims_run = tables.pop(json.loads((smoke.repo / "results/claims.mlflow.json").read_text())["run_id"])
    compared = {records[smoke.repo / r.dir] for c in claim_cells(smoke.profile) for r in c.trained_runs}
    assert set(claims_run.data.tags["source_runs"].split(",")) == compared
    assert any(key.endswith(".verdict") for key in claims_run.data.metrics)
    assert not tables  # one MLflow run per table and one for the claims, no more


def test_hyperparameter_edit_reruns_only_the_runs_it_reaches(smoke: Smoke, tmp_path: Path) -> None:
    """Table 4's msg3d runs, their tests and MLflow logs, and the table: no pose-slowonly job, no
    extraction, no estimator, and none of the keypoint-drop or cross-pose tests other tables ask
    of the same runs (Table 4 alone does not need them)."""
    msg3d = sorted({r for c in plan.cells(smoke.profile, "table4") for r in c.runs if r.model == "msg3d"})
    expected = [f"{rule} {run.dir}{clips}" for run in msg3d
                for rule, clips in (("train", ""), ("test", " 1clip"), ("track_run", ""))]
    expected.append("table table4")
    assert jobs_after_epochs_edit(smoke, smoke.repo, tmp_path) == sorted(expected)


@pytest.mark.parametrize(("setting", "value", "named"), [
    ("seedz", 1, "seedz"),  # unknown top-level key
    ("seeds", [0, 0], "seeds"),  # repeated seeds
    ("datasets.k400.metric", "top5", "top5"),  # a value the schema does not allow
    ("models.msg3d.set.train.epochz", 2, "epochz"),  # unknown hyperparameter of a run
    ("models.pose-slowonly.set.input.clip_lenn", 8, "clip_lenn"),  # unknown key of a plain section
])
def test_wrong_key_or_value_stops_the_run_naming_it(smoke: Smoke, tmp_path: Path, setting: str,
                                                     value: Any, named: str) -> None:
    bad = write_profile(smoke.profile, tmp_path / "bad.yaml", **{setting: value})
    proc = _completed(smoke.repo, sys.executable, "-m", "snakemake", "-n", FRONT_DOOR,
                      "--configfile", str(bad))
    output = proc.stdout + proc.stderr  # a dry run logs its errors to stdout
    assert proc.returncode != 0 and "rule train:" not in output
    assert named in output


def test_annotations_from_outside_the_project_are_planned_under_their_own_source(
        smoke: Smoke, tmp_path: Path) -> None:
    """An `annotations:` dataset at an absolute path, under the source name `gt`, with its class
    names: the dry run imports it with the label map and trains Table 4 on it; a url beside a path
    outside data/official/ stops the dry run naming the entry."""
    ann, names = tmp_path / "my data" / "ucf.pkl", tmp_path / "my data" / "labels.txt"
    ann.parent.mkdir()
    ann.write_bytes(MINI_UCF101.read_bytes())
    names.write_text("".join(f"class {i}\n" for i in range(101)))  # UCF101's classes
    ucf = {"annotations": {"gt": {"path": str(ann)}}, "classes": str(names), "pose_sources": {"main": "gt"},
           "splits": {"train": "train1", "val": "test1"}, "metric": "top1"}
    profile = write_profile(smoke.profile, tmp_path / "own.yaml", **{"datasets.ucf": ucf},
                            tables={"table4": {"rows": ["ucf"]}})
    output = _run(smoke.repo, sys.executable, "-m", "snakemake", "-n", FRONT_DOOR, "--configfile", str(profile))
    assert f"input: {ann}, {names}" in output and "output: data/ucf/poses/gt.npz" in output
    assert "runs/ucf/gt/msg3d_joint_uniform_s0" in output and "--classes" in output
    fetched = {**ucf, "annotations": {"gt": {"path": str(ann), "url": "https://example.org/ucf.pkl"}}}
    bad = write_profile(smoke.profile, tmp_path / "bad.yaml", **{"datasets.ucf": fetched},
                        tables={"table4": {"rows": ["ucf"]}})
    proc = _completed(smoke.repo, sys.executable, "-m", "snakemake", "-n", FRONT_DOOR, "--configfile", str(bad))
    assert proc.returncode != 0 and "datasets.ucf.annotations.gt: a url is fetched into data/official/" in (
        proc.stdout + proc.stderr)


def test_claim_naming_a_missing_cell_stops_the_dry_run(smoke: Smoke, tmp_path: Path) -> None:
    """A typo in a claim's cell stops the dry run with one message naming the table and the cell."""
    tables = read_mapping(smoke.repo / "params/tables.yaml")
    tables["table4"]["claims"][0]["cells"] = ["cnn_10clip", "gcn_accc"]
    declared = tmp_path / "tables.yaml"
    declared.write_text(yaml.safe_dump(tables, sort_keys=False))
    bad = write_profile(smoke.profile, tmp_path / "bad.yaml", tables_file=str(declared))
    proc = _completed(smoke.repo, sys.executable, "-m", "snakemake", "-n", FRONT_DOOR, "--configfile", str(bad))
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "rule train:" not in output
    assert "table table4: claim 'cnn_10clip_beats_gcn': names cell 'gcn_accc'" in output


def test_dvc_round_trip_gives_a_fresh_clone_the_same_tables(smoke: Smoke, tmp_path: Path) -> None:
    first, remote = smoke.repo, tmp_path / "dvc-remote"
    dvc(first, "remote", "modify", "--local", "storage", "url", str(remote))
    dvc(first, "commit", "--force", "workflow")
    git(first, "add", "dvc.lock")
    git(first, "commit", "--quiet", "--message", "Smoke profile's artefacts")
    dvc(first, "push")

    second = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(first), str(second))
    dvc(second, "remote", "modify", "--local", "storage", "url", str(remote))
    dvc(second, "pull")
    # reading the workflow (a dry run) changes nothing on disk; restoring the times is a step of its own
    pulled = {p: p.stat().st_mtime_ns for d in ("data", "runs", "results") for p in (second / d).rglob("*")}
    snakemake(second, "-n", FRONT_DOOR, "--configfile", SMOKE)
    assert {p: p.stat().st_mtime_ns for p in pulled} == pulled
    _run(second, sys.executable, "-m", "posec3d", "restore-times")
    assert NOTHING_TO_DO in snakemake(second, "--cores", "all", FRONT_DOOR, "--configfile", SMOKE)
    assert (second / FRONT_DOOR).read_bytes() == (first / FRONT_DOOR).read_bytes()
    # Snakemake's provenance came along: a params edit reruns the same jobs in both clones
    assert (jobs_after_epochs_edit(smoke, second, tmp_path)
            == jobs_after_epochs_edit(smoke, first, tmp_path))


def test_workstation_profile_is_valid_and_finds_nothing_to_do(smoke: Smoke) -> None:
    output = snakemake(smoke.repo, "-n", "--workflow-profile", "profiles/default",
                       FRONT_DOOR, "--configfile", SMOKE)
    assert "workflow specific profile profiles/default" in output
    assert NOTHING_TO_DO in output


def test_slurm_profile_asks_gpus_for_training_and_testing(smoke: Smoke, tmp_path: Path) -> None:
    slurm = yaml.safe_load((smoke.repo / "profiles/slurm/config.yaml").read_text())
    assert slurm["executor"] == "slurm"
    gpus = write_profile(smoke.profile, tmp_path / "gpus.yaml", **{"resources.train_gpus": 2})
    output = snakemake(smoke.repo, "-n", "--forceall", "--workflow-profile",
                       "profiles/slurm", FRONT_DOOR, "--configfile", str(gpus))
    jobs = planned_jobs(output)
    by_rule = {rule: [job.resources for job in jobs if job.rule == rule]
               for rule in {job.rule for job in jobs}}
    cells = plan.cells(smoke.profile, "table4")  # Table 4's runs and their tests
    assert len(by_rule["train"]) == len({r for c in cells for r in c.runs})
    assert len(by_rule["test"]) == len({(r, c.clips) for c in cells for r in c.runs})
    # testing, estimator training and pose extraction take one GPU each
    for rule, gpu in (("train", "2"), ("test", "1"), ("train_estimator", "1"), ("extract", "1")):
        for resources in by_rule[rule]:
            assert resources["gpu"] == gpu, rule
            assert {k: resources[k] for k in slurm["set-resources"][rule]} == {
                k: str(v) for k, v in slurm["set-resources"][rule].items()}, rule
    for rule in ("synth_scenes", "render_videos", "track_run", "table"):
        for resources in by_rule[rule]:
            assert "gpu" not in resources, rule
            assert resources["runtime"] == str(slurm["default-resources"]["runtime"]), rule


def test_an_interrupted_run_goes_on_with_the_same_command(tmp_path: Path) -> None:
    """Ctrl-C in the middle of a job, then the same command: the workstation profile, which
    Snakemake loads by itself, reruns the job cut short (without it, Snakemake stops on the
    incomplete output until `--rerun-incomplete`)."""
    import signal
    import time

    repo = project_copy(tmp_path / "posec3d-bench")
    # the smoke gym analog renders in under a second, before Ctrl-C lands: ten times its clips
    # make a job that is still running when it does
    profile = yaml.safe_load((repo / SMOKE).read_text())
    profile["datasets"]["gym"]["synth"]["set"]["clips_per_class"] *= 10
    (repo / SMOKE).write_text(yaml.safe_dump(profile))
    command = [sys.executable, "-m", "snakemake", "--cores", "1", "data/gym/videos", "--configfile", SMOKE]
    log = repo / "logs" / "render" / "gym.log"
    # a shell without job control starts background commands (`make test &`) with SIGINT ignored,
    # and children inherit that: give Snakemake back the default, as an interactive Ctrl-C finds it
    first = subprocess.Popen(command, cwd=repo, env=_env(repo), start_new_session=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # the render job itself is running once it has logged its first line (the log file alone
    # may exist before the job's process does, and a Ctrl-C then can miss the job)
    while not (log.exists() and log.stat().st_size > 0) and first.poll() is None:
        time.sleep(0.02)
    os.killpg(first.pid, signal.SIGINT)  # what Ctrl-C sends: Snakemake and its job alike
    output = first.communicate(timeout=120)[0]
    assert first.returncode != 0 and "Error in rule render_videos" in output, output[-3000:]

    again = snakemake(repo, *command[3:])
    assert "Using workflow specific profile profiles/default" in again
    assert "1 of 1 steps (100%) done" in again
    index = json.loads((repo / "data/gym/videos/index.json").read_text())
    assert len(index["clips"]) == len(load_poses(repo / "data/gym/scenes.npz")["annotations"])
