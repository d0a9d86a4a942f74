"""Where a packed pass's time goes (GPU), through the Triton kernels (graph-replayed, and eagerly) against
PyTorch's operations: times of single passes, the attention kernel's block sizes and launch settings (in whole
passes; with ``--attention-sweep`` also the kernel alone), and the profiler's top kernels for an eager Triton pass.

    python benchmarks/packed_profile.py --model qwen2-7b [--attention-sweep]
"""

from __future__ import annotations

import argparse
import itertools
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


def time_attention(decoder: SlotDecoder, queries: torch.Tensor, decode: int, pieces: list[tuple[int, int, int]],
                   positions: list[int], setting: tuple[int, int, int, int]) -> tuple[float, torch.Tensor]:
    """Microseconds of one layer's attention call under ``setting`` (block_m, block_n, warps, stages), and its
    output."""
    from triton.testing import do_bench

    block_m, block_n, warps, stages = setting
    packed_kernels.BLOCK_N = block_n
    packed_kernels.LAUNCH.update(num_warps=warps, num_stages=stages)
    table = packed_kernels.block_table(decode, pieces, block_m)
    for i, position in enumerate(positions):
        table[i][3] = position
    table_t = torch.tensor(table, dtype=torch.int32, device=queries.device)
    k_cache, v_cache = decoder.k_cache[0], decoder.v_cache[0]

    def call() -> torch.Tensor:
        return packed_kernels.packed_attention(queries, k_cache, v_cache, table_t, decoder.scale, block_m)

    return do_bench(call, warmup=25, rep=100) * 1000, call()


def attention_sweep(decoder: SlotDecoder) -> None:
    """The attention kernel alone, one layer's call, for each block size and launch setting: a 200-token piece
    after 800 cached positions with 4 decoding rows, and a cold 1,000-token prompt. Each output is checked
    against the shipped setting's. (do_bench flushes the cache before each call; a pass does not.)"""
    decoder.k_cache[0].normal_()
    decoder.v_cache[0].normal_()
    shipped = (packed_kernels.BLOCK_M, packed_kernels.BLOCK_N, dict(packed_kernels.LAUNCH))
    cases = {"4 decode + 200 @800": (4, [(5, 800, 200)], [1000, 1001, 1002, 1003]), "cold 1000": (0, [(5, 0, 1000)], [])}
    for name, (decode, pieces, positions) in cases.items():
        tokens = decode + sum(size for _, _, size in pieces)
        shipped_setting = (packed_kernels.block_rows(tokens), shipped[1], shipped[2]["num_warps"], shipped[2]["num_stages"])
        queries = torch.randn(tokens, decoder.heads, decoder.head_dim, dtype=decoder.dtype, device=decoder.device)
        _, expected = time_attention(decoder, queries, decode, pieces, positions, shipped_setting)
        results = []
        for setting in itertools.product((4, 8, 16, 32), (32, 64, 128), (4, 8), (1, 2, 3)):
            try:
                micros, out = time_attention(decoder, queries, decode, pieces, positions, setting)
            except Exception as error:  # noqa: BLE001 - a setting the compiler rejects (shared memory)
                print(f"attention {name}: {setting}: {type(error).__name__}")
                continue
            results.append((micros, setting, (out.float() - expected.float()).abs().max().item()))
        results.sort()
        for micros, setting, error in results[:8] + [r for r in results if r[1] == shipped_setting]:
            print(f"attention {name}: M {setting[0]} N {setting[1]} warps {setting[2]} stages {setting[3]}: "
                  f"{micros:.1f} us a layer (max diff {error:.3g})", flush=True)
    packed_kernels.BLOCK_N = shipped[1]
    packed_kernels.LAUNCH.update(shipped[2])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="qwen2-7b")
    parser.add_argument("--attention-sweep", action="store_true",
                        help="first the attention kernel alone over 72 block sizes and launch settings (~2 min)")
    args = parser.parse_args()
    model = random_model(args.model)
    decoder = SlotDecoder(model, max_batch=32, max_len=4096)
    if args.attention_sweep:
        with torch.inference_mode():
            attention_sweep(decoder)
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
        # Whole eager passes: the kernel alone (the sweep) starts from a flushed cache, a pass does not.
        shipped = (packed_kernels.BLOCK_M, packed_kernels.SMALL_BLOCK_M, dict(packed_kernels.LAUNCH))
        for block_m in (8, 16):
            for warps in (4, 8):
                for stages in (1, 2, 3):
                    packed_kernels.BLOCK_M = packed_kernels.SMALL_BLOCK_M = block_m
                    packed_kernels.LAUNCH.update(num_warps=warps, num_stages=stages)
                    times = [timed(lambda c=c: decoder.forward_packed(*c)) for c in
                             (cases["4 decode + 200 @800"], cases["4 x 1000 @0 (eager)"])]
                    print(f"attention M {block_m} warps {warps} stages {stages}: 4 decode + 200 @800 {times[0]:.2f} ms, "
                          f"4 x 1000 {times[1]:.2f} ms", flush=True)
        packed_kernels.BLOCK_M, packed_kernels.SMALL_BLOCK_M = shipped[0], shipped[1]
        packed_kernels.LAUNCH.update(shipped[2])
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
