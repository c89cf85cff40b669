"""Process-group context: one process, or one per GPU / CPU slot under torchrun (DDP)."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class DistContext:
    """Where this process runs and which share of the work it does."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def close(self) -> None:
        if self.distributed and dist.is_initialized():
            dist.destroy_process_group()


def describe_device(device: torch.device, processes: int = 1) -> str:
    """The hardware a timing was measured on: the GPU's name, or the CPU's model and torch's
    threads (e.g. "cpu: AMD EPYC 7B13, 1 thread"), times the processes."""
    if device.type == "cuda":
        what = torch.cuda.get_device_name(device)
    else:
        model = platform.processor() or "cpu"
        try:
            with open("/proc/cpuinfo") as info:
                model = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
        except (OSError, StopIteration):
            pass
        threads = torch.get_num_threads()
        what = f"cpu: {model}, {threads} thread{'s' if threads > 1 else ''}"
    return what if processes == 1 else f"{processes} x {what}"


def resolve_device(name: str) -> torch.device:
    """'auto' picks CUDA when present, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def init_distributed(device: str = "auto") -> DistContext:
    """Join torchrun's process group if launched by it (WORLD_SIZE > 1), else run alone.

    NCCL on CUDA, gloo on CPU; each CUDA process takes the GPU of its LOCAL_RANK.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    dev = resolve_device(device)
    if world <= 1:
        return DistContext(0, 1, dev)
    rank = int(os.environ["RANK"])
    if dev.type == "cuda":
        dev = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(dev)
    dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
    return DistContext(rank, world, dev)
