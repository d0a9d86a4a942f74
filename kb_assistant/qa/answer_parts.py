"""Answers to a question about several things ("2021年香港和澳门的GDP增长率分别是多少？"), part by part.

The question is split by :func:`kb_assistant.question_parts.question_parts`. A part is answered apart only when it
says what it is about by itself (``self_contained``). For the grounding check, a sentence that answers one part is
about the question, though it names nothing of the other part, when it names what sets its part apart
(``own_terms``); the kept sentences stay for the parts they answer, and each part they leave out gets a quote of the
best sentence that names what sets it apart (:class:`QuestionParts`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kb_assistant.qa.claims import Claim
from kb_assistant.qa.evidence import Passage, Span, sentence_scores
from kb_assistant.qa.prompts import language_of
from kb_assistant.qa.quotes import Scores, best_quotable
from kb_assistant.qa.terms import Term, TermIndex, asked_terms
from kb_assistant.question_parts import question_parts

_PRONOUN_EN = re.compile(r"\b(?:it|its|they|them|their|this|that|these|those|he|she|him|his|her)\b", re.IGNORECASE)
_PRONOUN_ZH = re.compile(r"它|其|他|她|该|此")
_ASKING = re.compile(r"[^。！？!?.\n]*[？?]")
"""A sentence that asks ("那么2023年的超级碗冠军是哪支球队呢？"): it names what a part asks about, and answers nothing."""


def split_question(question: str) -> list[str]:
    """The parts of a question about several things, when each says what it is about; else none."""
    parts = question_parts(question)
    return parts if len(parts) > 1 and all(self_contained(part) for part in parts) else []


def self_contained(part: str) -> bool:
    """Whether a part of a question says what it is about by itself: "which package ships it?" or "由哪个包提供"
    (the rest of "默认的向量模型是哪个，由哪个包提供？") would take the chat model's package for an answer. A Chinese
    part must name something (a name, a title, a number), an English one hold no pronoun."""
    if language_of(part) == "en":
        return not _PRONOUN_EN.search(part)
    return not _PRONOUN_ZH.search(part) and any(t.strict for t in asked_terms(part))


def own_terms(parts: list[str]) -> list[list[Term]]:
    """Each part's terms that no other part holds: what sets it apart ("重庆" of "2022年重庆的GDP增长率")."""
    return [[t for t in asked_terms(part) if not any(TermIndex.of(other).has(t) for other in parts if other != part)]
            for part in parts]


@dataclass
class QuestionParts:
    """A question about several things ("2021年香港和澳门的GDP增长率", :mod:`kb_assistant.question_parts`), each
    part with its passage sentences' scores and its best quote: an answer that says one part and not the other
    keeps what it says and gets a quote for the rest, and a quote answers each part."""

    parts: list[str]
    scores: list[Scores]
    quotes: list[tuple[Span, float] | None]
    gain: float
    min_relevance: float

    @classmethod
    def of(cls, parts: list[str], own: list[list[Term]], asked: list[list[Term]], passages: Sequence[Passage],
           sentences: list[list[tuple[str, int, int]]], indexes: list[TermIndex], gain: float,
           min_relevance: float) -> QuestionParts:
        """Score the passages' sentences for each part (``asked``: its weighted terms) and pick its quote among
        those that name some of its ``own`` terms outside a sentence that asks."""
        scores, quotes = [], []
        for part, distinct, terms in zip(parts, own, asked, strict=True):
            part_scores = sentence_scores(part, passages, sentences, indexes)
            saying = {key: value for key, value in part_scores.items()
                      if not distinct or any(TermIndex.of(f"{passages[key[0] - 1].context}\n"
                                                          f"{_ASKING.sub(' ', value[0].text)}").has(t) for t in distinct)}
            scores.append(part_scores)
            quotes.append(best_quotable(saying, part, terms, min_relevance))
        return cls(parts, scores, quotes, gain, min_relevance)

    def answer_more_than(self, kept: list[Claim], quote: tuple[Span, float]) -> bool:
        """Whether the kept sentences answer a part that ``quote`` (the best quote for the whole question) leaves
        out: then they stay beside it. A quote that answers every part they answer replaces them."""
        answered = set(self._answered(kept))
        return bool(answered - set(self._answered([Claim(quote[0].text, [], evidence=quote[0])])))

    def left_out(self, kept: list[Claim]) -> list[tuple[Span, float]]:
        """The quotes of the parts the kept sentences do not answer, each sentence once."""
        spans = {(span.number, span.start) for span in _evidence(kept)}
        out = []
        for index in self._left(kept):
            quote = self.quotes[index]
            assert quote is not None
            if (quote[0].number, quote[0].start) not in spans:
                spans.add((quote[0].number, quote[0].start))
                out.append(quote)
        return out

    def _answered(self, kept: list[Claim]) -> list[int]:
        left = self._left(kept)
        return [i for i, quote in enumerate(self.quotes) if quote is not None and i not in left]

    def _left(self, kept: list[Claim]) -> list[int]:
        return parts_left_out(kept, self.scores, self.quotes, self.gain, self.min_relevance)


def parts_left_out(
    kept: list[Claim],
    part_scores: Sequence[Scores],
    part_quotes: Sequence[tuple[Span, float] | None],
    gain: float,
    min_relevance: float,
) -> list[int]:
    """Of a question about several things (each part's sentence scores and best quote), the indexes of the parts
    that the kept sentences do not answer: a part is answered when a kept sentence rests on its quote, or on
    evidence that is about the part (``min_relevance`` of its terms) and holds nearly as much of it as the quote
    (less than ``gain`` short). A part no sentence of the passages answers is never left out. Terms alone decide:
    the embedding model scores "An API key is required when the server binds to …" as close to "What port does
    the server use" as the sentence that names the port."""
    left = []
    spans = _evidence(kept)
    for index, (scores, quote) in enumerate(zip(part_scores, part_quotes, strict=True)):
        if quote is None:
            continue
        if any(s.number == quote[0].number and s.start == quote[0].start for s in spans):
            continue
        about = [scores[(s.number, s.start)][1] for s in spans if (s.number, s.start) in scores]
        if about and max(about) >= min_relevance and quote[1] - max(about) < gain:
            continue
        left.append(index)
    return left


def _evidence(kept: list[Claim]) -> list[Span]:
    """The spans the kept sentences rest on, both passages' where two hold a sentence together."""
    return [span for c in kept for span in (c.evidence, c.joint_evidence) if span is not None]
