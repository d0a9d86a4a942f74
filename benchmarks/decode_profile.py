"""Where a batch-1 decode step's time goes (GPU): the step as the engine runs it, the same graph replayed back
to back, each weight matrix's product against the bandwidth bound, and the profiler's kernels of one step.

    python benchmarks/decode_profile.py --model qwen2-7b --length 1256

Random weights in the real shapes (speed does not depend on their values). The bound is the decode step's weight
bytes over the measured device copy bandwidth (bytes read + written).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from generate_bench import copy_bandwidth, random_model

from kb_assistant.llms.kv_decoder import SlotDecoder


def graph_time_ms(run: Any, repeat: int = 20) -> float:
    """Milliseconds of one call of ``run`` captured in a CUDA graph (launch costs of the host excluded)."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        run()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        run()
    graph.replay()
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(repeat):
        graph.replay()
    torch.cuda.synchronize()
    return (time.perf_counter() - started) / repeat * 1000


def products(decoder: SlotDecoder, bandwidth: float) -> dict[str, Any]:
    """Each kind of weight matrix, all layers' in one graph: time, bytes, share of bandwidth."""
    out: dict[str, Any] = {}
    hidden = decoder.config.hidden_size
    x = torch.randn(1, hidden, dtype=decoder.dtype, device="cuda")
    for kind in ("qkv", "out", "gate_up", "down"):
        weights = [getattr(w, kind) for w in decoder.fused]
        inputs = [torch.randn(1, w.shape[1], dtype=decoder.dtype, device="cuda") for w in weights]
        ms = graph_time_ms(lambda weights=weights, inputs=inputs: [F.linear(i, w) for i, w in zip(inputs, weights)])
        size = sum(w.numel() * w.element_size() for w in weights)
        out[kind] = {"shape": list(weights[0].shape), "ms_all_layers": round(ms, 3),
                     "share_of_bandwidth": round(size / (ms / 1000) / bandwidth, 3)}
    head = decoder.lm_head.weight
    ms = graph_time_ms(lambda: F.linear(x, head))
    out["lm_head"] = {"shape": list(head.shape), "ms": round(ms, 3),
                      "share_of_bandwidth": round(head.numel() * 2 / (ms / 1000) / bandwidth, 3)}
    return out


def kernels(decoder: SlotDecoder, length: int) -> list[tuple[str, float, int]]:
    """The profiler's kernels of one eager decode step: (name, microseconds in all, calls), longest first."""
    from torch.profiler import ProfilerActivity, profile

    decoder._decode(1, length)
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(3):
            decoder._decode(1, length)
        torch.cuda.synchronize()
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for event in prof.events():
        if event.device_type == torch.autograd.DeviceType.CUDA:
            totals[event.name[:90]][0] += event.device_time / 3
            totals[event.name[:90]][1] += 1
    return sorted(((n, round(t, 1), c // 3) for n, (t, c) in totals.items()), key=lambda r: -r[1])


def step_times(decoder: SlotDecoder, position: int, length: int, steps: int) -> tuple[float, float]:
    """Milliseconds of a batch-1 step as the engine runs it (inputs copied in, graph, argmax to the host), and
    of the graph replayed back to back."""
    decoder.decode([5], [position]).argmax(-1).tolist()  # captures the graph
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        decoder.decode([5], [position]).argmax(-1).tolist()
    engine_ms = (time.perf_counter() - started) / steps * 1000
    started = time.perf_counter()
    for _ in range(steps):
        decoder._decode_step(1, length)
    torch.cuda.synchronize()
    return engine_ms, (time.perf_counter() - started) / steps * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2-7b")
    parser.add_argument("--length", type=int, default=1256, help="cached positions at the measured step")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--blas", choices=("default", "cublas", "cublaslt"), default="default")
    parser.add_argument("--int8", action="store_true", help="the engine's weight-only int8 weights")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.blas != "default":
        torch.backends.cuda.preferred_blas_library(args.blas)
    bandwidth = copy_bandwidth()
    model = random_model(args.model)
    decoder = SlotDecoder(model, max_batch=32, max_len=4096, int8=args.int8)
    # engine_bench's bound: every parameter's bytes (the embedding table included) over the copy bandwidth
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    bound_ms = weight_bytes / bandwidth * 1000
    result: dict[str, Any] = {"model": args.model, "int8": args.int8, "blas": args.blas, "copy_bandwidth_tb_s": round(bandwidth / 1e12, 2),
                              "weight_gb": round(weight_bytes / 1e9, 2), "bound_ms": round(bound_ms, 3)}
    with torch.inference_mode():
        length = -(-args.length // 512) * 512
        paths = [False, True] if decoder.triton_decode else [False]
        for triton_decode in paths:  # PyTorch's operations first (the baseline), then the Triton kernels
            decoder.triton_decode = triton_decode
            decoder._graphs.clear()
            decoder._pool = None  # a fresh memory pool for the new graphs
            name = "triton" if triton_decode else "torch_ops"
            engine_ms, replay_ms = step_times(decoder, args.length - 1, length, args.steps)
            result[name] = {"step_as_engine_ms": round(engine_ms, 3), "graph_back_to_back_ms": round(replay_ms, 3),
                            "share_of_bound_engine": round(bound_ms / engine_ms, 3)}
            print(name, json.dumps(result[name]), flush=True)
        if not args.int8:
            result["products"] = products(decoder, bandwidth)
        table = kernels(decoder, length)
        result["eager_kernel_us_total"] = round(sum(t for _, t, _ in table), 1)
        result["kernels"] = table[:25]
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
