"""Where a computation runs: the default device and the CPU's thread count for small tensors."""

from __future__ import annotations

from contextlib import contextmanager

import torch


def default_device() -> str:
    """'cuda' when a GPU is visible to torch, else 'cpu'."""
    return "cuda" if torch.cuda.is_available() else "cpu"


@contextmanager
def single_thread_on_cpu(device: str):
    """Run the block on one torch thread when `device` is the CPU, then restore the previous number.
    The experiments' tensors are small, so one thread is fastest: more threads cost more in
    synchronisation than they save, many times more on a machine that other jobs keep busy."""
    before = torch.get_num_threads()
    if str(device).startswith("cpu"):
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
