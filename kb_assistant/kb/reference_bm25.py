"""``BM25Index``: the in-memory BM25 that KBs used before the tantivy lexical index. It stays as the reference
that benchmarks and the ranking parity test compare against; no KB stores it any more."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from kb_assistant.kb.tokens import TOKENIZER_VERSION, tokenize


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
