"""How much of the batching engine's speed reaches callers of ``LocalChatModel.stream`` when many stream at once.

A two-layer random Qwen2 with the packaged Qwen2.5 tokenizer (its real 151k vocabulary) runs on the engine, so
a step is cheap and what is measured is the Python around it: choosing tokens with the served model's settings
(temperature 0, the ``temperature`` setting's default, and the family's repetition penalty; ``--sample`` for
the family's own temperature, top-p and top-k), turning tokens into text, the stream's chunks. ``--clients``
threads each stream ``--new-tokens`` tokens; reported: tokens/s through ``stream`` and through the engine alone
(greedy, no penalty, no text) in the same process.

    python benchmarks/stream_bench.py --clients 32 --runs 3
    python benchmarks/stream_bench.py --baseline /tmp/old   # alternate with a checkout of older code

With ``--baseline DIR`` each run alternates between this tree and DIR's ``kb_assistant`` (a ``git worktree`` of
another commit) in separate processes, and the ratio of the medians is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
from clients import run_threads


def measure(clients: int, new: int, sample: bool) -> dict[str, float]:
    """Tokens/s through ``stream`` and through the engine alone, this process's ``kb_assistant``."""
    import torch
    from langchain_core.messages import HumanMessage
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    from kb_assistant.config import Settings
    from kb_assistant.llms.chat_model import LocalChatModel
    from kb_assistant.llms.engine import Sampling
    from kb_assistant.llms.loading import resolve_llm
    from kb_assistant.llms.specs import get_spec

    torch.manual_seed(0)
    settings = Settings()
    tokenizer = AutoTokenizer.from_pretrained(str(resolve_llm(settings.llm_model, settings)[0]))
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2)
    model = Qwen2ForCausalLM(config).eval()
    model.generation_config.eos_token_id = None  # every stream makes all its tokens
    llm = LocalChatModel(model=model, tokenizer=tokenizer, spec=get_spec("qwen2-7b"), engine="batched",
                         max_new_tokens=new, stop=["\u2603\u2603"], temperature=None if sample else 0.0)
    engine = llm.batching_engine()
    prompt = tokenizer("A question about the handbook?")["input_ids"]

    def through_stream(index: int) -> None:
        for _ in llm.stream([HumanMessage(f"Question {index} about the handbook?")]):
            pass

    def engine_alone(index: int) -> None:
        for _ in engine.submit(prompt, Sampling(max_new_tokens=new)).stream():
            pass

    run_threads(2, through_stream)  # first calls: lazy set-up
    result = {"stream_tok_s": clients * new / run_threads(clients, through_stream),
              "engine_alone_tok_s": clients * new / run_threads(clients, engine_alone)}
    engine.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", action="store_true", help="the family's sampling settings instead of greedy")
    parser.add_argument("--baseline", type=Path, default=None, help="a checkout of other code to alternate with")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.clients, args.new_tokens, args.sample)))
        return
    sides = {"this tree": REPO, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    runs: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    for _ in range(args.runs):
        for side, root in sides.items():
            done = subprocess.run(
                [sys.executable, __file__, "--one", "--clients", str(args.clients), "--new-tokens", str(args.new_tokens),
                 *(["--sample"] if args.sample else [])],
                env={**os.environ, "PYTHONPATH": str(root)}, cwd=root, check=True, capture_output=True, text=True)
            runs[side].append(json.loads(done.stdout.strip().splitlines()[-1]))
    medians = {side: statistics.median(r["stream_tok_s"] for r in results) for side, results in runs.items()}
    for side, results in runs.items():
        print(f"{side}: through stream {[round(r['stream_tok_s']) for r in results]} tok/s, engine alone "
              f"{[round(r['engine_alone_tok_s']) for r in results]} tok/s ({args.clients} clients)")
    if args.baseline:
        print(f"through stream, this tree / baseline (medians): {medians['this tree'] / medians['baseline']:.2f}x")


if __name__ == "__main__":
    main()
