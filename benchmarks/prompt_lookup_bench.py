"""Prompt lookup decoding against plain decoding: same answers, how much sooner (CPU, the packaged chat model).

For each kept question of one or more `python -m kb_assistant eval DATASET --answers --json F` reports, the
chain's own prompt over the passages the model was given is generated greedily with every ``--lookup`` value
in turn (0 = plain ``generate``; the order rotates per question so neither side always runs first), and the
script reports per value: total seconds, the ratio to plain decoding measured in the same run, and how many
answers differ from plain decoding's token for token.

    python benchmarks/prompt_lookup_bench.py /tmp/xquad_zh.json /tmp/cmrc.json --limit 10 --lookup 0 4 10
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from answer_prompts import documents, records_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument("--limit", type=int, default=10, help="answerable questions per report")
    parser.add_argument("--lookup", type=int, nargs="+", default=[0, 10], help="draft lengths; 0 = plain")
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--llm-model", default=None, help="another chat model (default: the settings' one)")
    args = parser.parse_args()

    import torch

    from kb_assistant.config import Settings
    from kb_assistant.llms.served import make_chat_model
    from kb_assistant.qa import build_qa_chain

    settings = Settings(**({"llm_model": args.llm_model} if args.llm_model else {}))
    llm = make_chat_model(settings, max_new_tokens=args.max_new_tokens)
    chain = build_qa_chain(None, llm)  # type: ignore[arg-type]
    tokenizer, eos = llm.tokenizer, llm._eos_ids()
    rows = [r for path in args.reports for r in records_of(path, {"answerable"}, args.limit)]
    seconds = {n: 0.0 for n in args.lookup}
    tokens = {n: 0 for n in args.lookup}
    differ = {n: 0 for n in args.lookup}
    for i, r in enumerate(rows):
        messages = chain.messages(r.get("standalone") or r["question"], [], documents(r))
        ids = tokenizer(llm.render_prompt(messages), add_special_tokens=False, return_tensors="pt")["input_ids"]
        outputs: dict[int, list[int]] = {}
        order = args.lookup[i % len(args.lookup):] + args.lookup[: i % len(args.lookup)]
        for n in order:
            extra = {"prompt_lookup_num_tokens": n} if n else {}
            started = time.perf_counter()
            with torch.inference_mode():
                out = llm.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                         max_new_tokens=args.max_new_tokens, eos_token_id=eos,
                                         pad_token_id=tokenizer.pad_token_id, **extra)
            seconds[n] += time.perf_counter() - started
            outputs[n] = out[0, ids.shape[1]:].tolist()
            tokens[n] += len(outputs[n])
        for n in args.lookup:
            if outputs[n] != outputs[args.lookup[0]]:
                differ[n] += 1
                print(json.dumps({"question": r["question"], "lookup": n, "gold": r["gold"],
                                  "answer": tokenizer.decode(outputs[n], skip_special_tokens=True),
                                  "plain": tokenizer.decode(outputs[args.lookup[0]], skip_special_tokens=True)},
                                 ensure_ascii=False), file=sys.stderr)
    base = seconds[args.lookup[0]]
    for n in args.lookup:
        print(json.dumps({"lookup": n, "answers": len(rows), "seconds": round(seconds[n], 1),
                          "seconds_per_answer": round(seconds[n] / len(rows), 2), "tokens": tokens[n],
                          f"speedup_vs_{args.lookup[0]}": round(base / seconds[n], 2),
                          f"answers_differing_from_{args.lookup[0]}": differ[n]}))


if __name__ == "__main__":
    main()
