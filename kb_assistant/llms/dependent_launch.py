"""Programmatic dependent launch (Hopper and later GPUs) for the engine's Triton kernels.

A batch-1 decode step is about 300 kernels in a row, each a few microseconds of work, and each one normally
starts only once the kernel before it has finished and its launch has gone through. Launched as dependent, a
kernel starts while the one before it is still running: it waits (``griddepcontrol.wait``) before it reads
anything that kernel may have written, and an int8 product first reads its first slice of weights, which no
kernel writes. Each kernel lets the next one launch once all of its own programs are running. A kernel that waits
for the one before it has also waited for every earlier one, so a step's results are the same as without.
"""

from __future__ import annotations

import functools

import torch

ENABLED = True
"""Benchmarks switch it off to measure what it saves."""


def enabled(device: torch.device) -> bool:
    """Whether kernels on ``device`` are launched as dependent (CUDA, compute capability 9.0 or later)."""
    return ENABLED and device.type == "cuda" and _capability(device.index)[0] >= 9


@functools.cache
def _capability(index: int | None) -> tuple[int, int]:
    return torch.cuda.get_device_capability(index)
