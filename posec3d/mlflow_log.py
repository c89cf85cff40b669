"""MLflow tracking: one MLflow run per training run and one per table, in a store all rules share.

The default store is a SQLite file in the project root (`mlflow.db`) with artefacts in `mlruns/`
beside it, so every rule writes the same store whatever its working directory. The profile's
tracking URI or MLFLOW_TRACKING_URI points at a tracking server instead, with no other change.

Reruns replace: logging a run name that is already live in the experiment soft-deletes the earlier
run(s) once the new run is complete, tagged `superseded_by` with the new run's id, so the store
shows one live run per name (`mlflow gc` purges deleted runs, `MlflowClient.restore_run` brings
one back). If logging fails, the partial new run is deleted and the earlier one stays live.

Writers of a SQLite store are serialised by a lock file beside it (`<db>.lock`): two rules starting
at once would otherwise race through MLflow's schema migrations on a fresh store, or collide on
SQLite's single-writer lock.

mlflow is imported on first use: `tracking_uri` runs while Snakemake parses the workflow, where
importing mlflow would cost over a second, and mlflow is an optional (`workflow`) dependency.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

DEFAULT_STORE = "mlflow.db"
ARTEFACT_DIR = "mlruns"
CONFIG_ARTEFACT = "config.json"
TESTS_ARTEFACT = "tests.json"

_SQLITE = "sqlite:///"
_NOT_IN_METRIC_NAME = re.compile(r"[^\w.\- ]")  # MLflow also allows '/' and ':'; both are kept out


def tracking_uri(configured: str | None, project_root: Path) -> str:
    """The store to log to: MLFLOW_TRACKING_URI, else `configured`, else `<project>/mlflow.db`.

    A relative SQLite path is resolved against `project_root`, so rules running in any working
    directory write the same store.
    """
    uri = os.environ.get("MLFLOW_TRACKING_URI") or configured or _SQLITE + DEFAULT_STORE
    if not uri.startswith(_SQLITE):
        return uri
    path, sep, query = uri[len(_SQLITE):].partition("?")
    if path in ("", ":memory:") or Path(path).is_absolute():
        return uri
    return f"{_SQLITE}{Path(project_root).resolve() / path}{sep}{query}"


def log_training_run(*, uri: str, experiment: str, run_name: str, config: dict[str, Any],
                     history: list[dict[str, Any]], tests: dict[str, dict[str, Any]],
                     artefacts: Sequence[Path], tags: dict[str, str]) -> str:
    """Log one training run (replacing a live run of the same name) and return its run id.

    Params are the flattened `config` (`train.optimizer.lr`); each numeric `history` field is a
    metric stepped by epoch; each numeric test metric is `test_<name>_<key>` (e.g.
    `test_10clip_mean_class_top1`), while the full test results, per-class accuracies included,
    go to `tests.json`. `config.json` and the files in `artefacts` are the run's artefacts; the
    run is tagged with `tags` plus `kind=training`.
    """
    from mlflow.entities import Metric

    now = _now_ms()
    metrics: list[Metric] = []
    for i, record in enumerate(history):
        if "epoch" not in record:
            raise ValueError(f"training run {run_name!r}: history entry {i} has no 'epoch'")
        step = int(record["epoch"])
        metrics += [Metric(_metric_key(k), v, now, step)
                    for k, v in _numeric_items(record) if k != "epoch"]
    for name, results in tests.items():
        metrics += [Metric(_metric_key(f"test_{name}_{k}"), v, now, 0)
                    for k, v in _numeric_items(results)]
    files = _checked_files(artefacts, reserved=(CONFIG_ARTEFACT, TESTS_ARTEFACT), what=run_name)

    def log(client: MlflowClient, run_id: str) -> None:
        from mlflow.entities import Param

        params = [Param(k, v) for k, v in _flatten_params(config).items()]
        client.log_batch(run_id, metrics=metrics, params=params)
        client.log_dict(run_id, config, CONFIG_ARTEFACT)
        client.log_dict(run_id, tests, TESTS_ARTEFACT)
        for path in files:
            client.log_artifact(run_id, str(path))

    return _log_replacing(uri, experiment, run_name, {**tags, "kind": "training"}, log)


def log_table(*, uri: str, experiment: str, name: str, csv_path: Path, cells: dict[str, float],
              run_ids: list[str], tags: dict[str, str], figures: Sequence[Path] = ()) -> str:
    """Log one table as a run named `name` (replacing a live one) and return its run id.

    The CSV and `figures` are artefacts; each cell is a metric named by its key with characters
    MLflow refuses replaced by '_' (`gym.cnn_1clip`); `source_runs` holds the comma-joined ids of
    the runs behind the table. Tagged with `tags` plus `kind=table`.
    """
    from mlflow.entities import Metric

    now = _now_ms()
    metrics: list[Metric] = []
    cell_of: dict[str, str] = {}
    for cell, value in cells.items():
        key = _metric_key(cell)
        if key in cell_of:
            raise ValueError(f"table {name!r}: cells {cell_of[key]!r} and {cell!r} both become "
                             f"metric {key!r}; rename one")
        cell_of[key] = cell
        metrics.append(Metric(key, float(value), now, 0))
    files = _checked_files([csv_path, *figures], reserved=(), what=name)
    run_tags = {**tags, "kind": "table", "source_runs": ",".join(run_ids)}

    def log(client: MlflowClient, run_id: str) -> None:
        client.log_batch(run_id, metrics=metrics)
        for path in files:
            client.log_artifact(run_id, str(path))

    return _log_replacing(uri, experiment, name, run_tags, log)


def find_runs(uri: str, experiment: str, **tags: str) -> list[Run]:
    """The live runs of `experiment` whose tags equal `tags`, newest first ([] if none)."""
    from mlflow import MlflowClient

    with _store_lock(uri):
        client = MlflowClient(tracking_uri=uri)
        found = client.get_experiment_by_name(experiment)
        if found is None:
            return []
        where = " and ".join(f"tags.`{key}` = {_quoted(value)}" for key, value in tags.items())
        return _search(client, found.experiment_id, where)


def _log_replacing(uri: str, experiment: str, run_name: str, tags: dict[str, str],
                   log: Callable[[MlflowClient, str], None]) -> str:
    """Create run `run_name`, fill it with `log`, then retire earlier live runs of that name."""
    from mlflow import MlflowClient

    with _store_lock(uri):
        client = MlflowClient(tracking_uri=uri)
        experiment_id = _experiment_id(client, uri, experiment)
        earlier = _search(client, experiment_id, f"attributes.run_name = {_quoted(run_name)}")
        run_id = client.create_run(experiment_id, run_name=run_name, tags=tags).info.run_id
        try:
            log(client, run_id)
        except BaseException:
            client.set_terminated(run_id, "FAILED")
            client.delete_run(run_id)
            raise
        client.set_terminated(run_id, "FINISHED")
        for old in earlier:
            client.set_tag(old.info.run_id, "superseded_by", run_id)
            client.delete_run(old.info.run_id)
    return run_id


def _experiment_id(client: MlflowClient, uri: str, name: str) -> str:
    """The id of live experiment `name`, created (artefacts beside a SQLite store) if missing."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode

    found = client.get_experiment_by_name(name)
    if found is None:
        db = _sqlite_file(uri)
        location = str(db.parent / ARTEFACT_DIR) if db else None
        try:
            return client.create_experiment(name, artifact_location=location)
        except MlflowException as err:  # a concurrent writer to a tracking server won the race
            if err.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
                raise
            found = client.get_experiment_by_name(name)
    if found.lifecycle_stage != "active":
        raise ValueError(f"MLflow experiment {name!r} in {uri} is deleted; restore it "
                         f"(mlflow experiments restore) or log to another experiment")
    return found.experiment_id


def _search(client: MlflowClient, experiment_id: str, where: str) -> list[Run]:
    runs: list[Run] = []
    token = None
    while True:
        page = client.search_runs([experiment_id], where, order_by=["attributes.start_time DESC"],
                                  page_token=token)
        runs += page
        token = page.token
        if not token:
            return runs


@contextmanager
def _store_lock(uri: str) -> Iterator[None]:
    """Hold an exclusive lock on a SQLite store's lock file; no-op for other stores."""
    db = _sqlite_file(uri)
    if db is None:
        yield
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    with open(db.with_name(db.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


def _sqlite_file(uri: str) -> Path | None:
    """The database file of a SQLite URI (relative paths as MLflow reads them), else None."""
    if not uri.startswith(_SQLITE):
        return None
    path = uri[len(_SQLITE):].partition("?")[0]
    return None if path in ("", ":memory:") else Path(path).resolve()


def _flatten_params(config: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Dot-keyed string values of a nested config, cut to MLflow's length limit.

    Non-string values are written as JSON (`true`, `null`, `[1, 2]`), the syntax of the config
    files; a value cut short ends in '...' (config.json holds it whole).
    """
    from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH

    flat: dict[str, str] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten_params(value, prefix=f"{name}."))
            continue
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) > MAX_PARAM_VAL_LENGTH:
            text = text[:MAX_PARAM_VAL_LENGTH - 3] + "..."
        flat[name] = text
    return flat


def _metric_key(name: str) -> str:
    key = _NOT_IN_METRIC_NAME.sub("_", name)
    if not key or key.startswith("."):  # MLflow refuses names that normalise as paths ('.', '..')
        raise ValueError(f"{name!r} cannot name an MLflow metric: it must not be empty or start "
                         f"with '.'")
    return key


def _numeric_items(record: dict[str, Any]) -> Iterator[tuple[str, float]]:
    """The int/float fields of `record` (bools, strings, lists and None are not metrics)."""
    for key, value in record.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            yield key, float(value)


def _checked_files(paths: Sequence[Path], reserved: Sequence[str], what: str) -> list[Path]:
    """`paths` as Paths, after checking each is a file with a name no other artefact has."""
    files = [Path(p) for p in paths]
    seen = set(reserved)
    for path in files:
        if not path.is_file():
            raise FileNotFoundError(f"{what!r}: artefact {path} is not a file")
        if path.name in seen:
            raise ValueError(f"{what!r}: two artefacts are named {path.name!r} "
                             f"(reserved: {list(reserved)})")
        seen.add(path.name)
    return files


def _quoted(value: str) -> str:
    """`value` as a string literal of MLflow's search syntax (which has no escapes)."""
    for quote in ("'", '"'):
        if quote not in value:
            return f"{quote}{value}{quote}"
    raise ValueError(f"cannot search MLflow for {value!r}: it holds both quote characters")


def _now_ms() -> int:
    return int(time.time() * 1000)
