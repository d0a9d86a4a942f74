"""Is the chat model's own probability of refusing a signal of answerability? Measured on kept passages.

`python -m kb_assistant eval DATASET --answers --json F` keeps every question with the passages the model was
given and its draft. For each answerable question and each hard negative (same topics, answer absent), this
script scores, teacher-forced with the chain's own prompt: the log-probability of the refusal sentence and of
its first token, and the log-probability of the model's kept draft. It prints their spread per kind and status,
and how many hard negatives that got through and how many answerable questions a threshold on
``draft - refusal`` would refuse.

    python benchmarks/refusal_signal.py /tmp/xquad_zh.json /tmp/cmrc2018_dev.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch
from answer_prompts import documents, records_of


def scores(model: Any, tokenizer: Any, messages: list[dict[str, Any]], continuations: dict[str, str]) -> dict[str, Any]:
    """Per continuation: (sum of log-probabilities, the first token's, tokens)."""
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    prompt_ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt").input_ids
    found = {}
    for name, text in continuations.items():
        ids = tokenizer(text, add_special_tokens=False, return_tensors="pt").input_ids
        if ids.shape[1] == 0:
            found[name] = (0.0, 0.0, 0)
            continue
        with torch.inference_mode():
            logits = model(torch.cat([prompt_ids, ids], 1)).logits[0, prompt_ids.shape[1] - 1 : -1].float()
        picked = torch.log_softmax(logits, -1).gather(1, ids[0][:, None])[:, 0]
        found[name] = (float(picked.sum()), float(picked[0]), int(ids.shape[1]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument("--margins", type=float, nargs="*", default=[0.0, 1.0, 2.0],
                        help="refuse when the draft's log-probability beats the refusal's by less than this")
    args = parser.parse_args()

    from kb_assistant.config import Settings
    from kb_assistant.llms.loading import load_model
    from kb_assistant.llms.messages import to_chat_dicts
    from kb_assistant.qa import build_qa_chain
    from kb_assistant.qa.prompts import NOT_FOUND, language_of

    settings = Settings()
    loaded = load_model(settings.llm_model, settings)
    chain = build_qa_chain(None, None)  # type: ignore[arg-type]  # only its prompt is used
    rows = []
    for path in args.reports:
        for record in records_of(path, {"answerable", "hard_negative"}, None):
            question = record.get("standalone") or record["question"]
            messages = to_chat_dicts(chain.messages(question, [], documents(record)))
            found = scores(loaded.model, loaded.tokenizer, messages,
                           {"refusal": NOT_FOUND[language_of(question)], "draft": record["draft"] or ""})
            rows.append({"kind": record["kind"], "status": record["status"], "refusal_first": found["refusal"][1],
                         "margin": found["draft"][0] - found["refusal"][0]})
    for kind in ("answerable", "hard_negative"):
        for status in sorted({r["status"] for r in rows if r["kind"] == kind}):
            group = [r for r in rows if r["kind"] == kind and r["status"] == status]
            print(json.dumps({"kind": kind, "status": status, "questions": len(group),
                              "refusal_first_token": sorted(round(r["refusal_first"], 1) for r in group),
                              "draft_minus_refusal": sorted(round(r["margin"], 1) for r in group)}, ensure_ascii=False))
    passed = [r for r in rows if r["kind"] == "hard_negative" and r["status"] != "refused"]
    answered = [r for r in rows if r["kind"] == "answerable" and r["status"] != "refused"]
    for margin in args.margins:
        print(json.dumps({"margin": margin,
                          "hard_negatives_that_passed_now_refused": f"{sum(r['margin'] < margin for r in passed)} of {len(passed)}",
                          "answerable_now_refused": f"{sum(r['margin'] < margin for r in answered)} of {len(answered)}"}))


if __name__ == "__main__":
    main()
