"""Lexical retrieval: Okapi BM25 over the KB's chunks with jieba for Chinese and stemmed English, kept on disk.

The index mirrors the Chroma collection: ``sync`` tokenises only chunks it has not seen and drops the
ones gone from the collection, so ingests update it incrementally and queries never rebuild it.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb_assistant.sidecar import read_pickle, write_pickle

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
_STOPWORDS = frozenset(
    "的 了 是 在 和 与 及 或 也 就 都 而 之 其 这 那 有 为 以 于 把 被 个 吗 呢 吧 啊 什么 哪 哪个 哪些 如何 怎么 多少 "
    "a an the of to in on for and or is are was were be been by with as at from that this which what who how "
    "does do did it its".split()
)
_ENGLISH_WORD = re.compile(r"[a-z]+")
jieba_lock = threading.Lock()
"""jieba's lazy initialisation is not thread-safe: every user of jieba in the package holds this lock."""

TOKENIZER_VERSION = "jieba-search+snowball-english/1"
"""Changes whenever ``tokenize`` would split a text differently: an index saved by another version is rebuilt."""


@functools.cache
def jieba_module() -> Any:
    """jieba, with its logger quieted once."""
    import jieba

    jieba.setLogLevel(logging.WARNING)  # once: setting a logger's level clears every logger's cache
    return jieba


@functools.cache
def english_stem() -> Any:
    """A cached Snowball English stemmer (word -> stem)."""
    import snowballstemmer

    return functools.lru_cache(maxsize=200_000)(snowballstemmer.stemmer("english").stemWord)


def tokenize(text: str) -> list[str]:
    """Lower-cased search tokens: jieba's search-mode words for Chinese; English words stemmed (Snowball), so
    "increases" finds "increased"; other words as they are."""
    with jieba_lock:
        words = jieba_module().lcut_for_search(text.lower())
    stem = english_stem()
    return [
        stem(w) if _ENGLISH_WORD.fullmatch(w) else w
        for w in words
        if _TOKEN.search(w) and w.strip() and w not in _STOPWORDS
    ]


@dataclass
class BM25Index:
    """An inverted index with BM25 scoring (k1=1.5, b=0.75)."""

    doc_ids: list[str] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    postings: dict[str, dict[int, int]] = field(default_factory=dict)
    k1: float = 1.5
    b: float = 0.75
    tokenizer: str = TOKENIZER_VERSION
    """The ``tokenize`` its terms came from (absent from indexes saved before this field)."""

    def add(self, doc_id: str, text: str) -> None:
        """Index one chunk."""
        index = len(self.doc_ids)
        counts = Counter(tokenize(text))
        self.doc_ids.append(doc_id)
        self.lengths.append(sum(counts.values()))
        for term, tf in counts.items():
            self.postings.setdefault(term, {})[index] = tf

    def remove(self, doc_ids: set[str]) -> None:
        """Drop chunks (rebuilds the postings' numbering, no re-tokenising)."""
        keep = [i for i, d in enumerate(self.doc_ids) if d not in doc_ids]
        renumber = {old: new for new, old in enumerate(keep)}
        self.doc_ids = [self.doc_ids[i] for i in keep]
        self.lengths = [self.lengths[i] for i in keep]
        postings: dict[str, dict[int, int]] = {}
        for term, docs in self.postings.items():
            kept = {renumber[i]: tf for i, tf in docs.items() if i in renumber}
            if kept:
                postings[term] = kept
        self.postings = postings

    def search(self, query: str, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """The ``k`` best (doc id, score) pairs, optionally only among ``allowed`` ids."""
        n = len(self.doc_ids)
        if n == 0:
            return []
        average = sum(self.lengths) / n or 1.0
        scores: dict[int, float] = {}
        for term in set(tokenize(query)):
            docs = self.postings.get(term)
            if not docs:
                continue
            idf = math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            for index, tf in docs.items():
                norm = tf + self.k1 * (1 - self.b + self.b * self.lengths[index] / average)
                scores[index] = scores.get(index, 0.0) + idf * tf * (self.k1 + 1) / norm
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        out = []
        for index, score in ranked:
            if allowed is None or self.doc_ids[index] in allowed:
                out.append((self.doc_ids[index], score))
                if len(out) == k:
                    break
        return out


def bm25_path(persist_dir: Path, kb: str) -> Path:
    """Where a KB's BM25 index lives."""
    return persist_dir / "bm25" / f"{kb}.pkl"


def sync_bm25(collection: Any, path: Path) -> BM25Index:
    """Bring the on-disk index in line with the collection; tokenises only new chunks."""
    index = load_bm25(path)
    current = set(collection.get(include=[])["ids"])
    known = set(index.doc_ids)
    gone = known - current
    new = sorted(current - known)
    if gone:
        index.remove(gone)
    for start in range(0, len(new), 1000):
        batch = collection.get(ids=new[start : start + 1000], include=["documents"])
        for doc_id, text in zip(batch["ids"], batch["documents"], strict=True):
            index.add(doc_id, text or "")
    if gone or new or not path.exists():
        write_pickle(path, index)
        logger.info("BM25 index %s: +%d -%d chunks", path.name, len(new), len(gone))
    return index


def load_bm25(path: Path) -> BM25Index:
    """The saved index, or an empty one (also when it was tokenised differently: queries would not match it)."""
    index = read_pickle(path, BM25Index, "BM25 index")
    if index is not None and vars(index).get("tokenizer") != TOKENIZER_VERSION:
        logger.info("BM25 index %s was made by another tokenizer; rebuilding it", path.name)
        return BM25Index()
    return index or BM25Index()
