"""The `posec3d render` subcommand: scenes file -> one MJPG video per clip + index.json."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `render` subcommand to the `posec3d` command's subparsers."""
    p = sub.add_parser("render", help="render a synthetic scenes file to videos (MJPG .avi per clip)")
    p.add_argument("--scenes", required=True, type=Path, help="scenes file written by `posec3d synth`")
    p.add_argument("--out", required=True, type=Path, help="video folder (videos + index.json)")
    p.add_argument("--width", type=int, default=224, help="video width in pixels (height keeps the aspect)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=1, help="render clips in this many processes")
    p.add_argument("--progress", action="store_true")
    p.set_defaults(func=_render)


def _render(args: argparse.Namespace) -> None:
    from posec3d.video.render import render_dataset

    render_dataset(args.scenes, args.out, args.width, seed=args.seed, progress=args.progress, workers=args.workers)
