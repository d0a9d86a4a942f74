"""Retrieval that finds what is there: dense + BM25 (+ the English index) fused by score or rank, filters, MMR,
reranking."""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from kb_assistant.config import Settings
from kb_assistant.errors import KBError
from kb_assistant.kb.english import is_english
from kb_assistant.kb.tokens import tokenize
from kb_assistant.question_parts import question_parts
from kb_assistant.reranking import load_reranker, rerank

logger = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r"(?!(?:19|20)\d\d$)(?=[a-z0-9.\-]*\d)[a-z0-9.\-]{3,}")
"""A search token that names one thing: three or more characters with a digit ("1319", "v0.3", "式(9.21)"'s 9.21,
"gpt4o"), not a year of 1900-2099: "2021年宝马全球销量" asks about a time, and the few chunks that name 2021 are not
its answer's more than any other (rgb_en and rgb_zh_int lost up to 0.005 nDCG@10 with years taken as IDs). The
tokenizer cuts a code word at its underscores ("qianfan", "_", "ak"), so those are left to BM25."""


def reciprocal_rank_fusion(rankings: list[list[str]], k: int = 60) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score(d) = sum over lists of 1 / (k + rank)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def convex_fusion(lists: list[tuple[list[tuple[str, float]], float]]) -> list[tuple[str, float]]:
    """Fuse scored lists: score(d) = sum over lists of weight * its score min-max normalised over that list.

    Unlike reciprocal rank, this keeps how far apart the scores are: a chunk one retriever is sure of (a
    BM25 score far above the rest) is not outvoted by chunks both retrievers rank middling (Bruch et al.,
    "An Analysis of Fusion Functions for Hybrid Retrieval", 2023). A list of one hit, or of equal scores,
    gives each the full weight.
    """
    scores: dict[str, float] = {}
    for hits, weight in lists:
        if not hits:
            continue
        values = [score for _, score in hits]
        high, low = max(values), min(values)
        for doc_id, score in hits:
            share = (score - low) / (high - low) if high > low else 1.0
            scores[doc_id] = scores.get(doc_id, 0.0) + weight * share
    return sorted(scores.items(), key=lambda item: -item[1])


def weighted_lists(
    dense: list[list[tuple[str, float]]], lexical: list[tuple[str, float]], dense_weight: float
) -> list[tuple[list[tuple[str, float]], float]]:
    """Convex fusion's weights: ``dense_weight`` shared evenly by the dense rankings (e5, the English index),
    the rest to BM25; a side with no hits gives its share to the other."""
    dense = [hits for hits in dense if hits]
    share = dense_weight if dense and lexical else 1.0 if dense else 0.0
    return [(hits, share / len(dense)) for hits in dense] + [(lexical, 1.0 - share)]


class HybridRetriever(BaseRetriever):
    """Dense and BM25 retrieval over one knowledge base, fused by score (convex) or by reciprocal rank.

    Returned documents carry ``id``, ``score`` (fused), and ``dense_score`` / ``bm25_score`` /
    ``english_score`` where each retriever found them. ``sources`` restricts retrieval to files (their
    ``source`` paths).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kb: Any
    """The ``KBStore`` searched (opened for reading, with its embedding model)."""
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    k: int = 5
    fetch_k: int = 30
    fusion: Literal["convex", "rrf"] = "convex"
    dense_weight: float = 0.5
    """In convex fusion, the dense rankings' share (split evenly with the English index when it takes part)."""
    rrf_k: int = 60
    mmr: bool = False
    score_threshold: float | None = None
    sources: list[str] | None = None
    reranker: Any = None
    """A sentence-transformers ``CrossEncoder``, or None."""
    decompose: bool = True
    """Search each part of a question that asks about several things too (see :mod:`kb_assistant.question_parts`),
    and interleave the rankings, so the top results hold a passage for every part."""
    exact_ids: bool = True
    """Put first the chunks that hold every rare identifier the question names (``exact_ids`` setting)."""
    max_id_chunks: int = 3
    """An identifier held by more chunks than this is no lookup key: it is left to the ranking."""

    @property
    def embeddings(self) -> Any:
        """The KB's embedding model (the grounding check measures meaning with it)."""
        return self.kb.embeddings

    def term_frequencies(self, tokens: list[str]) -> tuple[list[int], int]:
        """How many of the KB's chunks hold each search token, and how many chunks there are (the grounding
        check weighs a question's words by it: see :class:`kb_assistant.qa.terms.KBRarity`)."""
        return self.kb.term_frequencies(tokens)

    @property
    def english(self) -> bool:
        """Whether English queries also search the KB's English index."""
        return bool(self.kb.has_english_index)

    @property
    def english_share(self) -> float | None:
        """The share of the KB's chunks that are English, None when unknown (the refusal tells a user whose question
        is in the other language than most of the KB)."""
        return self.kb.english_share

    def _dense(self, query: str) -> list[tuple[Document, float]]:
        hits = self.kb.search_dense(query, self.fetch_k, self.sources, mmr=self.mmr)
        if self.score_threshold is not None and not self.mmr:
            hits = [(d, s) for d, s in hits if s >= self.score_threshold]
        return hits

    def _look_up(self, hits: list[tuple[str, float]], docs: dict[str, Document], key: str) -> list[tuple[str, float]]:
        """Hits found in ``docs`` or the KB (chunks removed since a side index's sync are dropped), scored."""
        docs.update(self.kb.chunks([doc_id for doc_id, _ in hits if doc_id not in docs]))
        found = [(doc_id, score) for doc_id, score in hits if doc_id in docs]
        for doc_id, score in found:
            docs[doc_id].metadata[key] = round(score, 4)
        return found

    def _english(self, query: str, docs: dict[str, Document]) -> list[tuple[str, float]]:
        try:
            hits = self.kb.search_english(query, self.fetch_k, self.sources)
        except KBError as error:
            logger.warning("English index skipped: %s", error)
            return []
        return self._look_up(hits, docs, "english_score")

    def _fuse(self, dense: list[list[tuple[str, float]]], lexical: list[tuple[str, float]]) -> list[tuple[str, float]]:
        if self.fusion == "rrf" or self.mmr:  # an MMR order has no scores to normalise
            rankings = [[doc_id for doc_id, _ in hits] for hits in [*dense, lexical] if hits]
            return reciprocal_rank_fusion(rankings, self.rrf_k)
        return convex_fusion(weighted_lists(dense, lexical, self.dense_weight))

    def warm_up(self) -> None:
        """Make one search now, so that the first question does not wait for what a first search loads (jieba's
        dictionary, 0.7 s; the indexes' first reads)."""
        self._search("知识库预热")

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        parts = question_parts(query) if self.decompose else [query]
        if len(parts) < 2:
            return self._search(query)[: self.k]
        rankings = []
        for part in parts:
            found = self._search(part)
            for doc in found:
                doc.metadata["sub_query"] = part
            rankings.append(found)
        rankings.append(self._search(query))  # the whole question's best come after each part's best
        return interleave(rankings, self.k)

    def _search(self, query: str) -> list[Document]:
        """The fused (and reranked) ranking for one query, best first, untruncated."""
        docs: dict[str, Document] = {}
        dense: list[list[tuple[str, float]]] = []  # e5's ranking, then the English index's
        lexical: list[tuple[str, float]] = []
        if self.mode in ("hybrid", "dense"):
            ranking = []
            for doc, score in self._dense(query):
                doc.metadata["dense_score"] = round(score, 4)
                docs[str(doc.id)] = doc
                ranking.append((str(doc.id), score))
            dense.append(ranking)
        if self.english and self.mode in ("hybrid", "dense") and not self.mmr and is_english(query):
            dense.append(self._english(query, docs))
        if self.mode in ("hybrid", "bm25"):
            lexical = self._look_up(self.kb.search_lexical(query, self.fetch_k, self.sources), docs, "bm25_score")
        fused = self._fuse(dense, lexical)
        results = []
        for doc_id, score in fused:
            doc = docs[doc_id]
            doc.metadata["score"] = round(score, 6)
            doc.metadata["id"] = doc_id
            results.append(doc)
        if self.reranker is not None and results:
            results = rerank(self.reranker, query, results[: self.fetch_k])
        if self.exact_ids and self.mode != "dense":
            results = self._ids_first(query, results, docs)
        return collapse_copies(results)

    def _ids_first(self, query: str, results: list[Document], docs: dict[str, Document]) -> list[Document]:
        """``results`` with the chunks that hold every rare identifier of ``query`` first (found by the lexical index
        where the ranking lacks them), in their ranking's order."""
        ids = sorted({t for t in tokenize(query) if _IDENTIFIER.fullmatch(t)})
        if not ids:
            return results
        counts, _ = self.kb.term_frequencies(ids)
        rare = [t for t, n in zip(ids, counts, strict=True) if 0 < n <= self.max_id_chunks]
        if not rare:
            return results
        holding = self.kb.chunks_holding(rare, self.max_id_chunks, self.sources)
        missing = [doc_id for doc_id in holding if doc_id not in docs]
        docs.update(self.kb.chunks(missing))
        first = [docs[doc_id] for doc_id in holding if doc_id in docs]
        ranked = {str(doc.metadata.get("id")): i for i, doc in enumerate(results)}
        first.sort(key=lambda doc: ranked.get(str(doc.id), len(ranked)))
        for doc in first:
            doc.metadata["id"] = str(doc.id)
            doc.metadata.setdefault("score", 0.0)
            doc.metadata["exact_id"] = True
        chosen = {str(doc.id) for doc in first}
        return first + [doc for doc in results if str(doc.metadata.get("id")) not in chosen]


def _passage_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def collapse_copies(docs: list[Document]) -> list[Document]:
    """The ranking with each passage once. A chunk whose text is that of a better-ranked one (up to spaces, case
    and full-width forms: the same file saved twice, a PDF beside its Word original, a page scraped twice) is
    left out, and its source is added to the kept chunk's ``copies``, so the model's context holds distinct
    passages and the sources still name every file that says it."""
    kept: dict[str, Document] = {}
    out = []
    for doc in docs:
        first = kept.setdefault(_passage_key(doc.page_content), doc)
        if first is doc:
            out.append(doc)
        else:
            _add_copies(first, doc)
    return out


def _add_copies(kept: Document, copy: Document) -> None:
    """Name ``copy``'s source (and the copies it names) among ``kept``'s copies."""
    copies = list(kept.metadata.get("copies", []))
    for source in (copy.metadata.get("source"), *copy.metadata.get("copies", [])):
        if source and source != kept.metadata.get("source") and source not in copies:
            copies.append(source)
    if copies:
        kept.metadata["copies"] = copies


def interleave(rankings: list[list[Document]], k: int) -> list[Document]:
    """The first of each ranking in turn, then the second of each, ... without repeats (of a chunk, or of a
    passage: see :func:`collapse_copies`), up to ``k``."""
    merged: dict[str, Document] = {}  # by passage: the same chunk found twice has the same text
    for rank in range(max((len(r) for r in rankings), default=0)):
        for ranking in rankings:
            if rank < len(ranking):
                doc = ranking[rank]
                key = _passage_key(doc.page_content)
                if key in merged:
                    _add_copies(merged[key], doc)
                    continue
                merged[key] = doc
                if len(merged) == k:
                    return list(merged.values())
    return list(merged.values())


def make_retriever(settings: Settings, embeddings: Any = None, sources: list[str] | None = None) -> HybridRetriever:
    """The configured retriever over ``settings.kb`` (its side indexes are caught up once here)."""
    from kb_assistant.embeddings import make_embeddings
    from kb_assistant.kb import KBStore

    store = KBStore(settings, embeddings=embeddings or make_embeddings(settings))
    store.collection(store.embeddings)  # a missing KB or another embedding model fails here, not at the first question
    store.open_for_reading()
    reranker = load_reranker(settings.reranker_model) if settings.reranker_model else None
    return HybridRetriever(
        kb=store,
        decompose=settings.decompose_questions,
        exact_ids=settings.exact_ids,
        mode=settings.retrieval_mode,
        k=settings.top_k,
        fetch_k=max(settings.fetch_k, settings.top_k),
        fusion=settings.fusion,
        dense_weight=settings.dense_weight,
        rrf_k=settings.rrf_k,
        mmr=settings.mmr,
        score_threshold=settings.score_threshold,
        sources=sources,
        reranker=reranker,
    )
