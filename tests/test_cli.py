"""The `posec3d` commands the workflow calls that other tests do not reach: importing official
annotations (from any path, with a label map), fetching them, counting parameters and multiply-adds."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from posec3d.storage import load_pickle_restricted, load_poses
from tests.sample_data import MINI_UCF101


def posec3d(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "posec3d", *args], capture_output=True,
                          text=True, timeout=300)


def test_official_annotations_are_imported_into_the_projects_format(tmp_path: Path) -> None:
    out = tmp_path / "ucf101" / "poses" / "hrnet.npz"
    done = posec3d("poses", "--input", str(MINI_UCF101), "--source", "hrnet", "--out", str(out))
    assert done.returncode == 0, done.stderr
    official = load_pickle_restricted(MINI_UCF101)
    ours = load_poses(out)
    assert ours["split"] == official["split"]
    for theirs, mine in zip(official["annotations"], ours["annotations"]):
        assert mine["frame_dir"] == theirs["frame_dir"] and mine["label"] == theirs["label"]
        np.testing.assert_array_equal(mine["keypoint"], theirs["keypoint"].astype(np.float32))


def test_annotations_from_any_path_take_their_class_names_from_a_label_map(tmp_path: Path) -> None:
    """An annotation file outside the project under any source name, with a label map beside it
    (mmaction2's label_map_*.txt); a map naming too few classes is one line naming it, no output."""
    outside = tmp_path / "my data" / "ucf.pkl"
    outside.parent.mkdir()
    outside.write_bytes(MINI_UCF101.read_bytes())
    top = max(c["label"] for c in load_pickle_restricted(MINI_UCF101)["annotations"])
    names = outside.parent / "label_map.txt"
    names.write_text("".join(f"action {i}\n" for i in range(top + 1)))
    out = tmp_path / "poses" / "gt.npz"
    done = posec3d("poses", "--input", str(outside), "--source", "gt", "--classes", str(names), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert load_poses(out)["meta"]["classes"] == [f"action {i}" for i in range(top + 1)]
    names.write_text("".join(f"action {i}\n" for i in range(top)))  # one name short
    bad = tmp_path / "poses" / "bad.npz"
    done = posec3d("poses", "--input", str(outside), "--source", "gt", "--classes", str(names), "--out", str(bad))
    error = done.stderr.strip().splitlines()
    assert done.returncode != 0 and len(error) == 1 and str(names) in error[0] and f"up to {top}" in error[0]
    assert not bad.exists()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A folder served over HTTP on the loopback interface."""
    root = tmp_path / "served"
    root.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", root
    server.shutdown()
    server.server_close()


def test_fetch_downloads_atomically_and_fails_cleanly(served: tuple[str, Path], tmp_path: Path) -> None:
    url, root = served
    payload = np.random.default_rng(0).bytes(3 << 20)
    (root / "gym_hrnet.pkl").write_bytes(payload)
    out = tmp_path / "data" / "official" / "gym_hrnet.pkl"
    done = posec3d("fetch", "--url", f"{url}/gym_hrnet.pkl", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == payload

    missing = tmp_path / "data" / "official" / "missing.pkl"
    done = posec3d("fetch", "--url", f"{url}/missing.pkl", "--out", str(missing))
    assert done.returncode == 2 and "missing.pkl" in done.stderr and "put the file" in done.stderr
    assert sorted(p.name for p in missing.parent.iterdir()) == ["gym_hrnet.pkl"]


def test_count_prints_the_papers_figures() -> None:
    done = posec3d("count", "pose-slowonly", "--input", "17x48x56x56", "--json")
    assert done.returncode == 0, done.stderr
    counted = json.loads(done.stdout)
    assert counted["params"] == pytest.approx(2.0e6, rel=0.01)
    assert 15.6e9 <= counted["macs"] <= 15.9e9
    text = posec3d("count", "msg3d", "--input", "2x100x17x3").stdout
    assert "2.76M params (2.95M with adjacency masks)" in text
    bad = posec3d("count", "msg3d", "--input", "2x100")
    assert bad.returncode == 2 and "msg3d" in bad.stderr and "Traceback" not in bad.stderr
