"""Load a detector or pose estimator from a config and a checkpoint (local path or URL).

Both the embedded path (a folder trained here: config.py + model.pth) and the real path (the
OpenMMLab configs and checkpoint URLs the paper used, e.g. config
"mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py")
go through mmdet.apis.init_detector / mmpose.apis.init_model, which read URLs through
mmengine's load_checkpoint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from posec3d.atomic import atomic_path
from posec3d.estimators.folder import estimator_files, estimator_paths

POINTER = "estimator.json"  # {"config": path | "mmpose::..." , "checkpoint": path | URL}


def _is_url(name: str) -> bool:
    return name.startswith(("http://", "https://", "s3://"))


def _config(config: str | Path) -> Any:
    """An mmengine Config from a file path or an OpenMMLab package config ("mmdet::...")."""
    from mmengine.config import Config

    name = str(config)
    if "::" in name:
        from mmengine.hub import get_config

        return get_config(name)
    if not Path(name).is_file():
        raise FileNotFoundError(f"estimator config {name}: no such file")
    return Config.fromfile(name)


def _checkpoint(checkpoint: str | Path) -> str:
    name = str(checkpoint)
    if not _is_url(name) and not Path(name).is_file():
        raise FileNotFoundError(f"estimator checkpoint {name}: no such file")
    return name


def _loaded(init: Any, cfg: Any, checkpoint: str, device: str) -> Any:
    try:
        return init(cfg, checkpoint, device=device)
    except (FileNotFoundError, KeyError, TypeError):
        raise
    except Exception as err:  # torch/pickle errors of a damaged or foreign file
        raise ValueError(f"estimator checkpoint {checkpoint}: cannot be loaded ({type(err).__name__}: "
                         f"{str(err).splitlines()[0] if str(err) else ''})") from err


def obtain_estimator(config: str | Path, checkpoint: str | Path, out: str | Path) -> None:
    """An estimator folder (config.py + model.pth) from trained weights, without training.

    The real path: the paper's OpenMMLab config ("mmpose::...") and checkpoint (a path, or a URL
    that is downloaded), stored the way a trained estimator is, so extraction treats both alike.
    """
    from posec3d.fetch import download

    cfg = _config(config)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config_file, weights = estimator_paths(out)
    name = str(checkpoint)
    if _is_url(name):
        download(name, weights)
    else:
        source = Path(_checkpoint(name))
        with atomic_path(weights) as tmp:
            tmp.write_bytes(source.read_bytes())
    with atomic_path(config_file) as tmp:
        tmp.write_text(cfg.pretty_text)


def load_detector(config: str | Path, checkpoint: str | Path, device: str = "cpu") -> Any:
    """An mmdet detector in eval mode, weights from `checkpoint` (path or URL)."""
    from mmdet.apis import init_detector

    return _loaded(init_detector, _config(config), _checkpoint(checkpoint), device)


def load_pose_estimator(config: str | Path, checkpoint: str | Path, device: str = "cpu") -> Any:
    """An mmpose top-down or bottom-up estimator in eval mode, weights from `checkpoint` (path or URL)."""
    from mmpose.apis import init_model

    cfg = _config(config)
    cfg.model.setdefault("backbone", {})["init_cfg"] = None  # weights come from the checkpoint
    return _loaded(init_model, cfg, _checkpoint(checkpoint), device)


def estimator_source(estimator: str | Path) -> tuple[str, str]:
    """(config, checkpoint) of an estimator folder: config.py + model.pth, or estimator.json."""
    estimator = Path(estimator)
    pointer = estimator / POINTER
    if pointer.is_file():
        try:
            spec = json.loads(pointer.read_text())
            return str(spec["config"]), str(spec["checkpoint"])
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise ValueError(f"estimator {pointer}: expected JSON with keys config, checkpoint ({err})") from err
    config, checkpoint = estimator_files(estimator)
    return str(config), str(checkpoint)


def load_estimator(estimator: str | Path, device: str = "cpu") -> Any:
    """The detector or pose estimator of an estimator folder, by its config's default scope."""
    config, checkpoint = estimator_source(estimator)
    scope = _config(config).get("default_scope", "mmpose")
    loader = load_detector if scope == "mmdet" else load_pose_estimator
    return loader(config, checkpoint, device)
