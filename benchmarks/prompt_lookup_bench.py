"""Prompt lookup decoding against plain decoding, and oneDNN's linear layers against PyTorch's (MKL): same
answers, how much sooner (CPU, the packaged chat model).

For each kept question of one or more `python -m kb_assistant eval DATASET --answers --json F` reports, the
chain's own prompt over the passages the model was given is generated greedily with every ``--lookup`` value
and every ``--linear`` kind in turn (lookup 0 = plain ``generate``; the order rotates per question so no
variant always runs first), and the script reports per variant: total seconds, the ratio to the first variant
measured in the same run, how many answers differ from the first variant's token for token, and how many
contain the gold answer.

    python benchmarks/prompt_lookup_bench.py /tmp/xquad_zh.json /tmp/cmrc.json --limit 10 --lookup 0 4 10
    python benchmarks/prompt_lookup_bench.py /tmp/xquad_zh.json --linear torch onednn --lookup 10 0

``--linear``: onednn is the model as loaded (float32 on a CPU: :mod:`kb_assistant.cpu_linear`); torch the
same model with its linear layers back to ``torch.nn.Linear`` (same weights), as loaded before that module.
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
    parser.add_argument("--linear", nargs="+", default=["onednn"], choices=("onednn", "torch"))
    args = parser.parse_args()

    import copy

    import torch

    from kb_assistant.config import Settings
    from kb_assistant.cpu_linear import OneDnnLinear
    from kb_assistant.llms.served import make_chat_model
    from kb_assistant.qa import build_qa_chain

    settings = Settings(**({"llm_model": args.llm_model} if args.llm_model else {}))
    llm = make_chat_model(settings, max_new_tokens=args.max_new_tokens)
    models = {"onednn": llm.model}
    if "torch" in args.linear:
        models["torch"] = copy.deepcopy(llm.model)
        for module in models["torch"].modules():
            if isinstance(module, OneDnnLinear):
                module.__class__ = torch.nn.Linear
    chain = build_qa_chain(None, llm)  # type: ignore[arg-type]
    tokenizer, eos = llm.tokenizer, llm._eos_ids()
    rows = [r for path in args.reports for r in records_of(path, {"answerable"}, args.limit)]
    variants = [(w, n) for w in args.linear for n in args.lookup]
    first = variants[0]
    seconds = dict.fromkeys(variants, 0.0)
    tokens = dict.fromkeys(variants, 0)
    differ = dict.fromkeys(variants, 0)
    gold = dict.fromkeys(variants, 0)
    for i, r in enumerate(rows):
        messages = chain.messages(r.get("standalone") or r["question"], [], documents(r))
        ids = tokenizer(llm.render_prompt(messages), add_special_tokens=False, return_tensors="pt")["input_ids"]
        outputs: dict[tuple[str, int], list[int]] = {}
        for linear, n in variants[i % len(variants):] + variants[: i % len(variants)]:
            extra = {"prompt_lookup_num_tokens": n} if n else {}
            started = time.perf_counter()
            with torch.inference_mode():
                out = models[linear].generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                               max_new_tokens=args.max_new_tokens, eos_token_id=eos,
                                               pad_token_id=tokenizer.pad_token_id, **extra)
            seconds[linear, n] += time.perf_counter() - started
            outputs[linear, n] = out[0, ids.shape[1]:].tolist()
            tokens[linear, n] += len(outputs[linear, n])
        golds = r["gold"] if isinstance(r["gold"], list) else [r["gold"]]
        for variant in variants:
            text = tokenizer.decode(outputs[variant], skip_special_tokens=True)
            gold[variant] += any(g and g in text for g in golds)
            if outputs[variant] != outputs[first]:
                differ[variant] += 1
                print(json.dumps({"question": r["question"], "variant": variant, "gold": r["gold"], "answer": text,
                                  "first": tokenizer.decode(outputs[first], skip_special_tokens=True)},
                                 ensure_ascii=False), file=sys.stderr)
    name = "_".join(map(str, first))
    for linear, n in variants:
        v = (linear, n)
        print(json.dumps({"linear": linear, "lookup": n, "answers": len(rows), "seconds": round(seconds[v], 1),
                          "seconds_per_answer": round(seconds[v] / len(rows), 2), "tokens": tokens[v],
                          "gold_contained": gold[v], f"speedup_vs_{name}": round(seconds[first] / seconds[v], 2),
                          f"answers_differing_from_{name}": differ[v]}))


if __name__ == "__main__":
    main()
