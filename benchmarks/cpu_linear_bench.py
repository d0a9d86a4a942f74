"""oneDNN's float32 inner product against ``torch.nn.functional.linear`` (MKL) on this CPU, for the shapes of
the packaged chat model (Qwen2.5-0.5B: hidden 896, MLP 4,864, vocabulary 151,936).

Each shape is timed with 1 row (a decode step), 11 rows (a prompt lookup pass) and 300 / 700 rows (prompts),
the two ways alternated in the same process; for the decode rows, 24 different matrices in turn so that the
weights come from memory as they do in a model (one matrix would stay in the cache).

    python benchmarks/cpu_linear_bench.py
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from kb_assistant.cpu_linear import _onednn_linear


def _ms(run: Callable[[], object], repeats: int) -> float:
    run()
    started = time.perf_counter()
    for _ in range(repeats):
        run()
    return (time.perf_counter() - started) / repeats * 1000


def main() -> None:
    torch.manual_seed(0)
    for out_features, in_features, copies in ((4864, 896, 24), (896, 4864, 24), (896, 896, 48), (151936, 896, 1)):
        weights = [torch.randn(out_features, in_features) for _ in range(copies)]
        for rows in (1, 11, 300, 700):
            x = torch.randn(rows, in_features)
            picked = weights if rows <= 11 else weights[:1]
            repeats = 3 if rows <= 11 or out_features > 100_000 else 5
            times: dict[str, list[float]] = {"torch": [], "onednn": []}
            for _ in range(2):
                times["torch"].append(_ms(lambda x=x, picked=picked: [F.linear(x, w) for w in picked], repeats)
                                      / len(picked))
                times["onednn"].append(_ms(lambda x=x, picked=picked: [_onednn_linear(x, w, None) for w in picked],
                                           repeats) / len(picked))
            torch_ms, onednn_ms = min(times["torch"]), min(times["onednn"])
            print(json.dumps({"shape": [out_features, in_features], "rows": rows, "torch_ms": round(torch_ms, 2),
                              "onednn_ms": round(onednn_ms, 2), "speedup": round(torch_ms / onednn_ms, 2)}))


if __name__ == "__main__":
    main()
