"""Our search tokens (jieba for Chinese, stemmed English), and ``BM25Index``, the in-memory BM25 that KBs used
before the tantivy index (``lexical_index``). It stays as the reference that benchmarks and the ranking
parity test compare against; no KB stores it any more.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

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
        self.add_tokens(doc_id, tokenize(text))

    def add_tokens(self, doc_id: str, tokens: list[str]) -> None:
        """Index one chunk already tokenised by ``tokenize``."""
        index = len(self.doc_ids)
        counts = Counter(tokens)
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
