"""The packaged chat model on the CPU run by llama.cpp against transformers (``llm_runtime``), in one process.

Two parts, each runtime measured beside the other on the same machine and minute:
- raw speed: a prompt of the QA chain's size (the passages it gives the model for a question about the pumpkin
  book) and a long answer (a point-by-point summary), greedy: the time to the first token (the prompt's pass) and
  the decode rate of up to ``--max-new-tokens``;
- the QA chain as a user meets it: the hand-written questions of ``benchmarks/user_rounds.py`` asked of a KB, the
  sides taking turns question by question (which goes first rotates too), the seconds each answer takes and
  whether it is right (the rounds' own judgement).

Sides: ``llama.cpp``, ``transformers`` (bfloat16 where the CPU has bfloat16 instructions) and
``transformers:float32`` (what transformers computes in on a CPU without them, as most laptops').

    python -m kb_assistant --persist-dir /tmp/kbu ingest ../shared/corpora/llm_universe_kb
    python benchmarks/cpu_runtime_bench.py /tmp/kbu --rounds 5 6 7 9 10 --json build/cpu_runtime.json
    python benchmarks/cpu_runtime_bench.py /tmp/kbu --model packaged:qwen2.5-coder-1.5b-instruct --rounds 10
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from user_rounds import ROUNDS, is_right

RAW_QUESTION = "南瓜书是什么书？怎么使用它？"
SIDES = ("llama.cpp", "transformers", "transformers:float32")
"""A runtime, and for transformers a dtype: float32 is what it computes in on a CPU without bfloat16 instructions."""


def side_settings(side: str, **values: Any) -> Any:
    """Settings for one side (``llama.cpp``, ``transformers`` or ``transformers:DTYPE``)."""
    from kb_assistant.config import Settings

    runtime, _, dtype = side.partition(":")
    return Settings(llm_runtime=runtime, llm_dtype=dtype or "auto", **values)


def raw_speed(llm: Any, messages: list[Any], runs: int = 2) -> dict[str, float]:
    """Time to first token and decode tokens/s of a greedy answer to ``messages`` (best of ``runs``)."""
    best: dict[str, float] = {}
    for _ in range(runs):
        started = time.perf_counter()
        first = None
        pieces = 0
        usage = None
        for chunk in llm.stream(messages):
            if first is None and chunk.content:
                first = time.perf_counter() - started
            pieces += bool(chunk.content)
            usage = chunk.usage_metadata or usage
        total = time.perf_counter() - started
        tokens = usage["output_tokens"] if usage else pieces
        first = first if first is not None else total
        row = {"prompt_tokens": usage["input_tokens"] if usage else 0, "ttft_s": round(first, 2),
               "tokens": tokens, "decode_tok_s": round((tokens - 1) / max(total - first, 1e-6), 1),
               "seconds": round(total, 2)}
        if not best or row["seconds"] < best["seconds"]:
            best = row
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("persist_dir", help="a KB of ../shared/corpora/llm_universe_kb (see user_rounds.py)")
    parser.add_argument("--rounds", type=int, nargs="+", default=[10], choices=sorted(ROUNDS))
    parser.add_argument("--model", default="packaged:qwen2.5-0.5b-instruct")
    parser.add_argument("--max-new-tokens", type=int, default=128, help="of the raw-speed answer")
    parser.add_argument("--sides", nargs="+", default=list(SIDES), help="runtimes to compare (transformers:DTYPE too)")
    parser.add_argument("--raw-only", action="store_true", help="only the raw speed, no questions")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from kb_assistant.llms.served import make_chat_model
    from kb_assistant.qa import qa_chain_for
    from kb_assistant.retrieval import make_retriever

    sides = args.sides
    settings = {rt: side_settings(rt, persist_dir=args.persist_dir, llm_model=args.model) for rt in sides}
    retriever = make_retriever(settings[sides[0]])
    chains, loads = {}, {}
    for rt in sides:
        started = time.perf_counter()
        llm = make_chat_model(settings[rt])
        loads[rt] = round(time.perf_counter() - started, 2)
        chains[rt] = qa_chain_for(retriever, llm, settings[rt])

    # a long answer over a QA-sized prompt: the chain's passages for a question, to be summarised point by point
    from langchain_core.messages import HumanMessage, SystemMessage

    docs = chains[sides[0]].fit_context(retriever.invoke(RAW_QUESTION))
    context = "\n\n".join(f"[{i}] {d.page_content}" for i, d in enumerate(docs, start=1))
    messages = [SystemMessage(f"资料：\n{context}"), HumanMessage("请逐条详细总结以上资料的内容，每条写两三句话。")]
    raw = {}
    for rt in sides:
        llm = chains[rt].llm.bind(max_new_tokens=args.max_new_tokens)
        raw[rt] = raw_speed(llm, messages)
        print(f"raw {rt}: {raw[rt]}", flush=True)

    rows = []
    asked = [] if args.raw_only else [(r, q, e) for r in args.rounds for q, e in ROUNDS[r]]
    for i, (round_, question, expected) in enumerate(asked):
        order = sides[i % len(sides):] + sides[:i % len(sides)]  # each side goes first in turn
        row: dict[str, Any] = {"round": round_, "question": question}
        for rt in order:
            started = time.perf_counter()
            result = chains[rt].invoke(question)
            row[rt] = {"seconds": round(time.perf_counter() - started, 2), "status": result["status"],
                       "right": is_right(expected, result["status"], result["answer"]), "answer": result["answer"]}
        rows.append(row)
        print(" | ".join(f"{rt} {'OK ' if row[rt]['right'] else 'BAD'} {row[rt]['seconds']:5.1f}s" for rt in sides),
              question, flush=True)

    summary = {"model": args.model, "load_s": loads, "raw": raw, "questions": len(rows)}
    for rt in sides if rows else ():
        times = [r[rt]["seconds"] for r in rows]
        summary[rt] = {"right": sum(r[rt]["right"] for r in rows), "median_s": round(statistics.median(times), 2),
                       "mean_s": round(statistics.fmean(times), 2)}
        if rt != sides[0]:  # against the first side: the same answer, and its time over the first one's
            summary[rt]["same_answer_as_" + sides[0]] = sum(r[rt]["answer"] == r[sides[0]]["answer"] for r in rows)
            summary[rt]["mean_s_over_" + sides[0]] = round(summary[rt]["mean_s"] / summary[sides[0]]["mean_s"], 2)
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, ensure_ascii=False, indent=1),
                             encoding="utf-8")


if __name__ == "__main__":
    main()
