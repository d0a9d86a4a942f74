"""Answer evaluation: what users read, on answerable questions and on two kinds of unanswerable ones.

- **answerable**: the sampled questions, asked of the KB built from the whole corpus minus a held-out part;
  only questions whose gold documents all stayed in are asked.
- **hard negatives**: questions whose gold documents were all held out (a seeded 20% of the corpus): the
  same topics are in the KB, the answer is not. They must be refused. Reading-comprehension sets repeat some facts
  in several passages, so ``hard_negative_answered_right`` counts those answered with a gold answer anyway (from
  a passage that stayed in): answered, but not invented.
- **easy negatives**: questions of another dataset. They must be refused.

Per kind: gold answer contained, token F1, exact match, empty-or-marker-only rate (of the model's draft and of
the answer shown), grounded-sentence rate (draft sentences the check kept), citation precision (share of the
shown answer's ``[n]`` whose chunk is a gold document or contains a gold answer), refusal rate, seconds per
answer.
"""

from __future__ import annotations

import logging
import random
import shutil
import time
from pathlib import Path
from typing import Any

from kb_assistant.config import Settings
from kb_assistant.evaluation import EvalDataset, answer_scores, doc_filename, load_dataset

logger = logging.getLogger(__name__)

HELD_OUT = 0.2


def held_out_documents(dataset: EvalDataset, share: float = HELD_OUT, seed: int = 0) -> set[str]:
    """A seeded random ``share`` of the corpus ids, left out of the KB for the hard negatives."""
    ids = sorted(str(d["id"]) for d in dataset.corpus)
    return set(random.Random(seed).sample(ids, round(len(ids) * share)))


def negatives_for(folder: Path) -> Path | None:
    """Another dataset beside ``folder`` in the same language (by its queries), for the easy negatives."""
    lang = _language(folder)
    for other in sorted(folder.parent.iterdir()):
        if other != folder and (other / "queries.jsonl").exists() and _language(other) == lang:
            return other
    return None


def _language(folder: Path) -> str:
    from kb_assistant.qa.prompts import language_of

    with (folder / "queries.jsonl").open(encoding="utf-8") as lines:
        head = "".join(line for _, line in zip(range(20), lines, strict=False))
    return language_of(head)


def evaluate_answers(
    dataset: EvalDataset,
    full: EvalDataset,
    corpus_dir: Path,
    settings: Settings,
    embeddings: Any,
    negatives: Path | None,
    limit: int,
    offset: int = 0,
    held_out_seed: int = 0,
) -> dict[str, Any]:
    """Hold out 20% of ``corpus_dir``'s documents (prune them from the KB; ``held_out_seed`` picks which), then ask
    and score; returns the metrics per kind and one record per question. The easy negatives are the ``negatives``
    dataset's seeded sample of ``limit`` after its first ``offset``, as the answerable questions are."""
    from kb_assistant.ingestion import ingest
    from kb_assistant.llms.served import make_chat_model
    from kb_assistant.qa import qa_chain_for
    from kb_assistant.retrieval import make_retriever

    held = held_out_documents(full, seed=held_out_seed)
    parked = corpus_dir.parent / "held-out"
    parked.mkdir(exist_ok=True)
    for doc_id in held:
        name = doc_filename(doc_id)
        if (corpus_dir / name).exists():
            shutil.move(corpus_dir / name, parked / name)
    ingest([corpus_dir], settings, embeddings=embeddings, prune=True)

    gold = {q["id"]: set(full.qrels.get(q["id"], {})) for q in full.queries}
    answerable = [q for q in dataset.queries if q.get("answers") and not gold[q["id"]] & held]
    rng = random.Random(1)
    hard_pool = [q for q in full.queries if gold[q["id"]] and gold[q["id"]] <= held]
    hard = rng.sample(hard_pool, min(limit, len(hard_pool)))
    easy = load_dataset(negatives, limit, offset=offset).queries if negatives else []

    llm = make_chat_model(settings, max_new_tokens=min(settings.max_new_tokens, 128))
    chain = qa_chain_for(make_retriever(settings, embeddings), llm, settings)
    texts = {str(d["id"]): f"{d.get('title') or ''}\n{d['text']}" for d in full.corpus}
    names = {doc_filename(str(d["id"])): str(d["id"]) for d in full.corpus}
    records: list[dict[str, Any]] = []
    for kind, queries in (("answerable", answerable), ("hard_negative", hard), ("easy_negative", easy)):
        logger.info("asking %d %s questions", len(queries), kind)
        for query in queries:
            started = time.perf_counter()
            result = chain.invoke(query["text"])
            records.append(
                _record(kind, query, result, time.perf_counter() - started, gold.get(query["id"], set()), names, texts)
            )
    return {"metrics": summarise(records), "records": records, "held_out_documents": len(held)}


def _record(
    kind: str,
    query: dict[str, Any],
    result: dict[str, Any],
    seconds: float,
    gold_ids: set[str],
    names: dict[str, str],
    texts: dict[str, str],
) -> dict[str, Any]:
    from kb_assistant.qa import source_label
    from kb_assistant.qa.answer_text import cited_numbers, is_marker_only

    sources = result["sources"]
    cited_docs = []
    for n in cited_numbers(result["answer"]):
        index = n - 1
        if 0 <= index < len(sources):
            cited_docs.append(names.get(sources[index]["source"], sources[index]["source"]))
    answers = query.get("answers") or []
    return {
        "kind": kind,
        "id": query["id"],
        "question": query["text"],
        "standalone": result.get("standalone_question", query["text"]),
        "gold": answers,
        "draft": result["raw_answer"],
        "finish": result.get("finish"),
        "asked_as": result.get("asked_as"),
        "answer": result["answer"],
        "status": result["status"],
        "sentences": result.get("sentences", 0),
        "dropped": result.get("dropped", []),
        "corrections": result.get("corrections", []),
        "seconds": round(seconds, 2),
        "draft_empty_or_marker": is_marker_only(result["raw_answer"]),
        "empty_or_marker": is_marker_only(result["answer"]),
        "citations": len(cited_docs),
        "good_citations": sum(
            d in gold_ids or any(a and a in texts.get(d, "") for a in answers) for d in cited_docs
        ),
        "scores": answer_scores(result["answer"], answers) if answers else {},
        "draft_scores": answer_scores(result["raw_answer"], answers) if answers else {},
        "passages": [
            {"source": names.get(d.metadata.get("source", ""), ""), "context": source_label(d.metadata), "text": d.page_content}
            for d in result.get("source_documents", [])
        ],
    }


def summarise(records: list[dict[str, Any]]) -> dict[str, float]:
    """The figures of the module docstring from per-question records."""
    out: dict[str, float] = {}
    for kind in ("answerable", "hard_negative", "easy_negative"):
        rows = [r for r in records if r["kind"] == kind]
        if not rows:
            continue
        n = len(rows)
        out[f"{kind}_questions"] = n
        out[f"{kind}_refused"] = round(sum(r["status"] == "refused" for r in rows) / n, 4)
        out[f"{kind}_seconds"] = round(sum(r["seconds"] for r in rows) / n, 2)
        if kind == "hard_negative":
            right = sum(r["status"] != "refused" and r["scores"].get("contains", 0.0) > 0 for r in rows)
            out["hard_negative_answered_right"] = round(right / n, 4)
        if kind != "answerable":
            continue
        for key in ("contains", "f1", "exact_match"):
            out[f"answer_{key}"] = round(sum(r["scores"].get(key, 0.0) for r in rows) / n, 4)
            out[f"draft_{key}"] = round(sum(r["draft_scores"].get(key, 0.0) for r in rows) / n, 4)
        out["empty_or_marker"] = round(sum(r["empty_or_marker"] for r in rows) / n, 4)
        out["draft_empty_or_marker"] = round(sum(r["draft_empty_or_marker"] for r in rows) / n, 4)
        out["extractive"] = round(sum(r["status"] == "extractive" for r in rows) / n, 4)
        sentences = sum(r["sentences"] for r in rows)
        kept = sentences - sum(len(r["dropped"]) for r in rows)
        out["grounded_sentences"] = round(kept / sentences, 4) if sentences else 0.0
        citations = sum(r["citations"] for r in rows)
        out["citation_precision"] = round(sum(r["good_citations"] for r in rows) / citations, 4) if citations else 0.0
    return out
