"""Where a request's time to first token goes in the engine, for a prompt whose first 80% is in the prefix cache and
for the same prompt cold (GPU; random weights in the real shapes).

Each of the engine's steps on the way to the first token is stamped on the host: the engine thread taking the
request, the prefix lookup and row copy, the packed pass (its host side, then the GPU, synchronised), reading the
chosen token back. The stamps add two synchronisations (after the row copy and after the pass), so the TTFTs are a
little above `engine_bench.py --prefix`'s. Last, the bare passes without the engine.

    python benchmarks/prefix_timeline.py --model qwen2-7b
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from engine_bench import prompt_ids
from generate_bench import random_model

from kb_assistant.llms import engine as engine_module
from kb_assistant.llms.engine import GenerationEngine
from kb_assistant.llms.kv_decoder import Chunk
from kb_assistant.llms.sampling import Sampling

STEPS = ["taken", "lookup", "looked_up", "pass", "pass_queued", "pass_done", "chosen"]


def stamped(engine: GenerationEngine, marks: dict[str, float]) -> None:
    """Wrap the engine's steps so that each stamps ``marks`` the first time it runs after ``marks`` is cleared."""
    def stamp(name: str) -> None:
        marks.setdefault(name, time.perf_counter())

    admit, reuse, forward, choose = (engine._admit, engine._reuse_prefix, engine.decoder.forward_packed,
                                     engine_module.choose_tokens)

    def admit_stamped() -> None:
        if not engine._waiting.empty():
            stamp("taken")
        admit()

    def reuse_stamped(request: Any) -> None:
        stamp("lookup")
        reuse(request)
        torch.cuda.synchronize()
        stamp("looked_up")

    def forward_stamped(*args: Any) -> torch.Tensor:
        stamp("pass")
        out = forward(*args)
        stamp("pass_queued")
        torch.cuda.synchronize()
        stamp("pass_done")
        return out

    def choose_stamped(*args: Any) -> Any:
        out = choose(*args)
        stamp("chosen")
        return out

    engine._admit, engine._reuse_prefix, engine.decoder.forward_packed = admit_stamped, reuse_stamped, forward_stamped
    engine_module.choose_tokens = choose_stamped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="qwen2-7b")
    parser.add_argument("--prompts", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--trials", type=int, default=7)
    args = parser.parse_args()
    engine = GenerationEngine(random_model(args.model), max_batch=32, max_len=4096)
    engine.warm_up()
    marks: dict[str, float] = {}
    stamped(engine, marks)
    for prompt in args.prompts:
        shared = int(prompt * 0.8)
        rows: dict[str, list[dict[str, float]]] = {"cached": [], "cold": []}
        for trial in range(args.trials):
            base = prompt_ids(prompt, 9000 + trial)
            engine.generate(base, Sampling(max_new_tokens=4))  # leaves its prompt in the prefix cache
            warm = base[:shared] + prompt_ids(prompt - shared, 9500 + trial)
            for kind in ("cached", "cold"):
                minimum = engine.min_prefix
                if kind == "cold":
                    engine.min_prefix = 10**9  # the same prompt, nothing reused
                time.sleep(0.05)  # the engine idle, as a request arriving alone finds it
                marks.clear()
                submitted = time.perf_counter()
                request = engine.submit(warm, Sampling(max_new_tokens=2))
                list(request.stream())
                engine.min_prefix = minimum
                row = {name: (marks[name] - submitted) * 1000 for name in STEPS if name in marks}
                row["ttft"] = (request.first_token_at - request.submitted_at) * 1000
                rows[kind].append(row)
        for kind, found in rows.items():
            medians = {name: round(statistics.median(r[name] for r in found), 3) for name in found[-1]}
            print(f"{prompt} tokens, {kind}: ms from submit {medians}", flush=True)
    decoder, tokens = engine.decoder, prompt_ids(4096, 1)
    with torch.inference_mode():
        for prompt in args.prompts:
            shared = int(prompt * 0.8)
            for name, chunk in ((f"{prompt - shared} after {shared}", Chunk(5, tokens[: prompt - shared], shared, True)),
                                (f"cold {prompt}", Chunk(5, tokens[:prompt], 0, True))):
                for _ in range(3):
                    decoder.forward_packed(0, [], [], [chunk])
                torch.cuda.synchronize()
                times = []
                for _ in range(10):
                    started = time.perf_counter()
                    decoder.forward_packed(0, [], [], [chunk]).argmax(-1).tolist()
                    times.append((time.perf_counter() - started) * 1000)
                print(f"bare pass {name}: {statistics.median(times):.2f} ms", flush=True)


if __name__ == "__main__":
    main()
