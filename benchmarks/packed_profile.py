"""Where a packed pass's time goes (GPU), through the Triton kernels (graph-replayed, and eagerly) against
PyTorch's operations: times of single passes, the attention kernel's launch settings, and the profiler's top
kernels for an eager Triton pass.

    python benchmarks/packed_profile.py --model qwen2-7b
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from generate_bench import random_model

from kb_assistant.llms import packed_kernels
from kb_assistant.llms.kv_decoder import Chunk, SlotDecoder


def timed(run: Any, repeat: int = 5) -> float:
    run()
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(repeat):
        run()
    torch.cuda.synchronize()
    return (time.perf_counter() - started) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="qwen2-7b")
    args = parser.parse_args()
    model = random_model(args.model)
    decoder = SlotDecoder(model, max_batch=32, max_len=4096)
    packed = decoder.packed
    tokens = list(range(100, 4196))
    cases = {
        "4 decode + 200 @800": (4, [5] * 4, [1000] * 4, [Chunk(5, tokens[:200], 800, True)]),
        "cold 1000": (0, [], [], [Chunk(5, tokens[:1000], 0, True)]),
        "4 decode + 1020 @0": (4, [5] * 4, [1000] * 4, [Chunk(5, tokens[:1020], 0, False)]),
        "4 x 1000 @0 (eager)": (0, [], [], [Chunk(5 + i, tokens[:1000], 0, True) for i in range(4)]),
        "30 decode + 994 @0": (30, [5] * 30, list(range(1000, 1030)), [Chunk(31, tokens[:994], 0, True)]),
    }
    with torch.inference_mode():
        for name, case in cases.items():
            line = []
            for label, passes, graphs in (("triton graphs", packed, True), ("triton eager", packed, False),
                                          ("pytorch", None, False)):
                decoder.packed = passes
                if passes is not None:
                    passes.graphs_on = graphs
                line.append(f"{label} {timed(lambda c=case: decoder.forward_packed(*c)):.2f} ms")
            print(f"{name}: " + ", ".join(line), flush=True)
        decoder.packed, packed.graphs_on = packed, False
        for warps in (4, 8):
            for stages in (1, 2, 3):
                packed_kernels.LAUNCH.update(num_warps=warps, num_stages=stages)
                times = [timed(lambda c=c: decoder.forward_packed(*c)) for c in
                         (cases["4 decode + 200 @800"], cases["4 x 1000 @0 (eager)"])]
                print(f"attention warps {warps} stages {stages}: 4 decode + 200 @800 {times[0]:.2f} ms, "
                      f"4 x 1000 {times[1]:.2f} ms", flush=True)
        packed_kernels.LAUNCH.update(num_warps=8, num_stages=2)
        from torch.profiler import ProfilerActivity, profile
        for name in ("4 decode + 200 @800", "4 x 1000 @0 (eager)"):
            decoder.forward_packed(*cases[name])
            with profile(activities=[ProfilerActivity.CUDA]) as prof:
                decoder.forward_packed(*cases[name])
                torch.cuda.synchronize()
            print(name, flush=True)
            print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=12), flush=True)


if __name__ == "__main__":
    main()
