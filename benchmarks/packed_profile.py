"""Where a packed pass's time goes (GPU): times of forward_packed for a few shapes, and the profiler's top
kernels for a pass of 4 decoding rows plus a 512-token prompt piece.

    python benchmarks/packed_profile.py --model qwen2-7b
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from generate_bench import random_model

from kb_assistant.llms.kv_decoder import Chunk, SlotDecoder


def timed(run, repeat: int = 5) -> float:
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
    decoder = SlotDecoder(model, max_batch=32, max_len=2048)
    tokens = list(range(100, 2148))
    cases = {
        "decode graph b4 len1024": lambda: decoder.decode([5] * 4, [1000] * 4),
        "chunk 512 @0": lambda: decoder.forward_packed(0, [], [], [Chunk(5, tokens[:512], 0, True)]),
        "chunk 512 @512": lambda: decoder.forward_packed(0, [], [], [Chunk(5, tokens[:512], 512, True)]),
        "4 decode + chunk 512 @512": lambda: decoder.forward_packed(4, [5] * 4, [1000] * 4, [Chunk(5, tokens[:512], 512, True)]),
        "4 decode eager only": lambda: decoder.forward_packed(4, [5] * 4, [1000] * 4, []),
        "30 decode (len 1030) + chunk 512 @512": lambda: decoder.forward_packed(30, [5] * 30, list(range(1000, 1030)), [Chunk(31, tokens[:512], 512, True)]),
        "30 decode (len 1024) + chunk 512 @512": lambda: decoder.forward_packed(30, [5] * 30, list(range(994, 1024)), [Chunk(31, tokens[:512], 512, True)]),
        "30 decode eager (len 1030)": lambda: decoder.forward_packed(30, [5] * 30, list(range(1000, 1030)), []),
        "decode graph b32 len1536": lambda: decoder.decode([5] * 30, list(range(1000, 1030))),
        "20 passes of varying shapes (as in a burst)": lambda: [decoder.forward_packed(
            n, [5] * n, list(range(900 + 3 * n, 900 + 4 * n)), [Chunk(31, tokens[:512 - 7 * n], 7 * n, True)])
            for n in range(1, 21)],
        "chunk 2048 @0": lambda: decoder.forward_packed(0, [], [], [Chunk(5, tokens[:2048], 0, True)]),
        "2 x chunk 1000 @0": lambda: decoder.forward_packed(0, [], [], [Chunk(5, tokens[:1000], 0, True), Chunk(6, tokens[:1000], 0, True)]),
    }
    with torch.inference_mode():
        for name, run in cases.items():
            print(f"{name}: {timed(run):.1f} ms", flush=True)
        from torch.profiler import ProfilerActivity, profile
        run = cases["30 decode (len 1030) + chunk 512 @512"]
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            run()
            torch.cuda.synchronize()
        print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=18), flush=True)
        print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=12), flush=True)


if __name__ == "__main__":
    main()
