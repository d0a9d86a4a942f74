"""Compare answer prompts on kept passages: what users read, per prompt, without re-building any KB.

`python -m kb_assistant eval DATASET --answers --json F` keeps every question with the passages the model was
given. This script asks the chat model again with each prompt variant named on the command line (the chain's
own ``QAChain.messages`` for ``current``), runs the grounding check, and prints per variant: gold answer
contained in the draft and in the verified answer, answerable questions refused, hard negatives refused,
prompt tokens and seconds per answer. Variants: current, example, user_context, one_shot, focused (below);
``--llm-model`` / ``--llm-dtype`` compare chat models and precisions on the same passages.

    python benchmarks/answer_prompts.py /tmp/xquad_zh.json --variants current,example --kinds answerable
    python benchmarks/answer_prompts.py /tmp/xquad_zh.json --llm-model packaged:qwen2.5-coder-1.5b-instruct
    python benchmarks/answer_prompts.py /tmp/xquad_zh.json --passages 1
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from kb_assistant.evaluation import answer_scores


def records_of(path: Path, kinds: set[str], limit: int | None) -> list[dict[str, Any]]:
    report = json.loads(path.read_text(encoding="utf-8"))
    rows = [r for result in report["results"] for r in result.get("answers", []) if r["passages"] and r["kind"] in kinds]
    if limit:
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_kind.setdefault(r["kind"], []).append(r)
        rows = [r for group in by_kind.values() for r in group[:limit]]
    return rows


def documents(record: dict[str, Any]) -> list[Document]:
    """The record's passages as the chain had them (source label from the kept context)."""
    docs = []
    for p in record["passages"]:
        source, _, headings = p["context"].partition(" > ")
        docs.append(Document(p["text"], metadata={"source": source, "headings": headings or None}))
    return docs


def _context(docs: list[Document]) -> str:
    from kb_assistant.qa import source_label

    return "\n\n".join(f"[{i}] ({source_label(d.metadata)})\n{d.page_content}" for i, d in enumerate(docs, start=1))


# "user_context": the context and the instructions in the user turn, after the question (the 0.5B model then
# often repeats the instructions); "one_shot": the same with a worked example as an earlier turn.
_ASK = {
    "zh": (
        "资料：\n{context}\n\n问题：{question}\n\n只根据上面的资料回答：用一句完整的话直接回答，照抄资料里的名称、数字和原词，"
        "句末写上依据的资料编号，例如“……[1]。”。如果资料里没有答案，只回答：“知识库中没有找到相关信息。”"
    ),
    "en": (
        "Context:\n{context}\n\nQuestion: {question}\n\nAnswer only from the context above, in one complete sentence "
        "that copies the exact names, numbers and words of the context, ending with the number of the context used, "
        'like "... [1]." If the context does not contain the answer, reply only: "The knowledge base does not contain '
        'this information."'
    ),
}
_SYSTEM = {"zh": "你是一个严谨的知识库问答助手。", "en": "You are a careful knowledge-base assistant."}
_SHOT = {
    "zh": (
        "[1] (员工手册.md > 联系人)\n行政部负责办公用品和会议室。财务总监周明远的办公室在七号楼十二层 1207 室，分机号 8207。",
        "周明远的分机号是多少？",
        "周明远的分机号是 8207[1]。",
    ),
    "en": (
        (
            "[1] (handbook.md > Contacts)\nThe facilities team handles supplies and rooms. The finance director, "
            "Mary Chen, works in room 1207 on the twelfth floor of building 7; her extension is 8207."
        ),
        "What is Mary Chen's extension?",
        "Mary Chen's extension is 8207 [1].",
    ),
}
# "example": the chain's own prompt with the worked example written into the system message.
_EXAMPLE = {
    "zh": "\n示例——资料：[1] 财务总监周明远的办公室在七号楼十二层 1207 室，分机号 8207。问题：周明远的分机号是多少？"
    "回答：周明远的分机号是 8207[1]。\n",
    "en": "\nExample. Context: [1] The finance director, Mary Chen, works in room 1207; her extension is 8207. "
    "Question: What is Mary Chen's extension? Answer: Mary Chen's extension is 8207 [1].\n",
}

Build = Callable[[Any, Any, str, list[Document]], list[Any]]


def _current(chain: Any, embeddings: Any, question: str, docs: list[Document]) -> list[Any]:
    return chain.messages(question, [], docs)


def _user_context(chain: Any, embeddings: Any, question: str, docs: list[Document]) -> list[Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    from kb_assistant.qa.prompts import language_of

    lang = language_of(question)
    return [SystemMessage(_SYSTEM[lang]), HumanMessage(_ASK[lang].format(context=_context(docs), question=question))]


def _one_shot(chain: Any, embeddings: Any, question: str, docs: list[Document]) -> list[Any]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    from kb_assistant.qa.prompts import language_of

    lang = language_of(question)
    context, asked, answer = _SHOT[lang]
    return [
        SystemMessage(_SYSTEM[lang]),
        HumanMessage(_ASK[lang].format(context=context, question=asked)),
        AIMessage(answer),
        HumanMessage(_ASK[lang].format(context=_context(docs), question=question)),
    ]


def _example(chain: Any, embeddings: Any, question: str, docs: list[Document]) -> list[Any]:
    from langchain_core.messages import SystemMessage

    from kb_assistant.qa.prompts import language_of

    messages = chain.messages(question, [], docs)
    marker = "\n\n资料：" if language_of(question) == "zh" else "\n\nContext:"
    text = str(messages[0].content).replace(marker, _EXAMPLE[language_of(question)] + marker, 1)
    return [SystemMessage(text), *messages[1:]]


def _focused(chain: Any, embeddings: Any, question: str, docs: list[Document]) -> list[Any]:
    """The chain's prompt over the four passage sentences nearest the question in meaning, with their
    neighbours (a shorter prompt)."""
    import numpy as np

    from kb_assistant.qa.answer_text import split_sentences

    query = np.asarray(embeddings.embed_query(question))
    sentences = [split_sentences(d.page_content) for d in docs]
    flat = [(i, j, s[0]) for i, ss in enumerate(sentences) for j, s in enumerate(ss)]
    similarity = np.asarray(embeddings.embed_documents([s for _, _, s in flat])) @ query
    keep: set[tuple[int, int]] = set()
    for k in np.argsort(-similarity)[:4]:
        i, j, _ = flat[k]
        keep |= {(i, j - 1), (i, j), (i, j + 1)}
    trimmed = []
    for i, (d, ss) in enumerate(zip(docs, sentences, strict=True)):
        text = " ".join(s[0] for j, s in enumerate(ss) if (i, j) in keep) or (ss[0][0] if ss else "")
        trimmed.append(Document(text, metadata=d.metadata))  # the numbering stays the chain's
    return chain.messages(question, [], trimmed)


VARIANTS: dict[str, Build] = {
    "current": _current,
    "example": _example,
    "user_context": _user_context,
    "one_shot": _one_shot,
    "focused": _focused,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument("--variants", default="current")
    parser.add_argument("--kinds", default="answerable,hard_negative")
    parser.add_argument("--limit", type=int, default=None, help="questions per kind")
    parser.add_argument("--passages", type=int, default=None, help="give the model only the first N passages")
    parser.add_argument("--llm-model", default=None, help="another chat model (default: the settings' one)")
    parser.add_argument("--llm-dtype", default="auto")
    parser.add_argument("--out", type=Path, default=None, help="write every draft and verdict here (JSON lines)")
    args = parser.parse_args()

    from kb_assistant.config import Settings
    from kb_assistant.embeddings import make_embeddings
    from kb_assistant.llms.served import make_chat_model
    from kb_assistant.qa import build_qa_chain
    from kb_assistant.qa.grounding import GroundingCheck

    settings = Settings(llm_dtype=args.llm_dtype, **({"llm_model": args.llm_model} if args.llm_model else {}))
    embeddings = make_embeddings(settings)
    llm = make_chat_model(settings, max_new_tokens=128)
    log = args.out.open("w", encoding="utf-8") if args.out else None
    for path in args.reports:
        rows = records_of(path, set(args.kinds.split(",")), args.limit)
        for variant in args.variants.split(","):
            chain = build_qa_chain(None, llm, grounding=GroundingCheck(embeddings))  # type: ignore[arg-type]
            build = VARIANTS[variant]
            figures: dict[str, list[float]] = {}
            for r in rows:
                question = r.get("standalone") or r["question"]
                docs = documents(r)[: args.passages]
                messages = build(chain, embeddings, question, docs)
                started = time.perf_counter()
                response = llm.invoke(messages)
                seconds = time.perf_counter() - started
                draft = str(response.content)
                verdict = chain.verify(question, draft, docs)
                kind = r["kind"]
                figures.setdefault(f"{kind}_refused", []).append(float(verdict.status == "refused"))
                figures.setdefault(f"{kind}_seconds", []).append(seconds)
                usage = getattr(response, "usage_metadata", None) or {}
                figures.setdefault("prompt_tokens", []).append(float(usage.get("input_tokens", 0)))
                if kind == "answerable" and r["gold"]:
                    figures.setdefault("draft_contains", []).append(answer_scores(draft, r["gold"])["contains"])
                    figures.setdefault("shown_contains", []).append(answer_scores(verdict.answer, r["gold"])["contains"])
                    figures.setdefault("extractive", []).append(float(verdict.status == "extractive"))
                if log:
                    log.write(json.dumps({"set": path.stem, "variant": variant, "kind": kind, "question": question,
                                          "gold": r["gold"], "draft": draft, "shown": verdict.answer,
                                          "status": verdict.status,
                                          "dropped": [[c.text, c.reason] for c in verdict.claims if not c.kept]},
                                         ensure_ascii=False) + "\n")
                    log.flush()
            summary = {k: round(sum(v) / len(v), 3) for k, v in figures.items()}
            print(json.dumps({"set": path.stem, "variant": variant, "n": len(rows), **summary}), flush=True)


if __name__ == "__main__":
    main()
