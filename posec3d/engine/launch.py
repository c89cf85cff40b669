"""Process set-up for training and testing: CPU threads, and DDP relaunch under torchrun."""

from __future__ import annotations

import os
import sys

import torch


def set_threads(threads: int | None) -> None:
    """Use `threads` intra-op CPU threads (None: torch's default), e.g. Snakemake's {threads}."""
    if threads:
        torch.set_num_threads(threads)


def relaunch_under_torchrun(gpus: int) -> None:
    """Replace this process by torchrun running the same command, one process per GPU.

    The command line is kept as is; torchrun sets WORLD_SIZE, so the relaunched processes do
    not relaunch again, and posec3d.engine.distributed picks up the process group.
    """
    args = [sys.executable, "-m", "torch.distributed.run", "--standalone",
            f"--nproc_per_node={gpus}", "-m", "posec3d", *sys.argv[1:]]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, args)
