"""An answer checked against passages in the other language than the question's: "Which PDF loader does the course
use?", asked of a Chinese course, was drafted "The course uses PyMuPDFLoader to read the knowledge library's PDF
file.", which is right, and refused: its words are English and its source's Chinese, so no word but the name
matched. Meaning across languages is no evidence here (multilingual-e5's similarity of an answer sentence to its
translation, 0.81-0.89, overlaps the other sentences of its paragraph, 0.74-0.83). What is written the same in both
languages carries across: names in Latin letters, code, numbers. Where a sentence of the draft names such a thing
that the question does not, and one sentence of a passage in the other language names all of it and what the
question names, that sentence is quoted: the reader gets the source's own words, never the draft's. The sentence
must name the question's names itself: xquad's English titles over Chinese passages named "Warsaw" for a sentence
on a football club, and a made-up answer's "Ekstraklasa" was quoted for a question on Warsaw's stock exchange.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from kb_assistant.cjk import HAN
from kb_assistant.qa.answer_kinds import MONEY_UNITS
from kb_assistant.qa.claims import Claim
from kb_assistant.qa.evidence import Passage, Span
from kb_assistant.qa.prompts import LATIN_WORD, language_of, language_of_passage
from kb_assistant.qa.quotes import answers_as_asked
from kb_assistant.qa.terms import Term, TermIndex, claimed_terms

UNSUPPORTED = ("not in the sources", "not supported by the sources", "its source is not about the question")
"""The reasons a claim is dropped for words alone (its own, or the question's around its evidence): the ones a
passage in the other language may yet answer."""


def quote_across_languages(
    question: str,
    claims: list[Claim],
    passages: Sequence[Passage],
    sentences: list[list[tuple[str, int, int]]],
    asked: list[Term],
    embeddings: Any = None,
) -> tuple[Span, float] | None:
    """The sentence of a passage in the other language than ``question``'s that names every name, code word and
    number a dropped claim adds to the question and every name and number of the question (``asked``: its weighted
    terms), and gives what it asks for (:func:`kb_assistant.qa.quotes.answers_as_asked`); the one closest in meaning
    to the claim where several do (with ``embeddings``). None if none."""
    language = language_of(question)
    others = [i for i, p in enumerate(passages) if language_of_passage(p.text) != language]
    if not others:
        return None
    asked_index = TermIndex.of(question)
    for claim in claims:
        if claim.kept or not claim.reason.startswith(UNSUPPORTED):
            continue
        named = [t for t in claimed_terms(claim.text)
                 if t.strict and t.kind in ("latin", "number") and not asked_index.has(t)]
        if not named:
            continue
        # a sentence of the passage's language (a line of its code names the loader too, and says less) that names
        # the question's names itself: a title in the question's language names them for every sentence under it
        money = _amounts(claim.text)
        found = [span for i in others for span in _sentences_and_clause_pairs(i, passages[i].text, sentences[i], language)
                 if _in_other_words(span.text, language) and _names_all(TermIndex.of(span.text), named, asked)
                 and money <= _amounts(span.text) and answers_as_asked(question, span.text, asked)]
        if found:
            return (_closest(claim.text, found, embeddings), 0.0)
    return None


_AMOUNT = re.compile(rf"[$¥￥€£]\s*(\d[\d,]*(?:\.\d+)?)|(\d[\d,]*(?:\.\d+)?)\s*[万千百kK]?\s*(?:{MONEY_UNITS})",
                     re.IGNORECASE)


def _amounts(text: str) -> set[str]:
    """The numbers ``text`` gives as sums of money ("61 美元", "$29"): a number the draft says is a price is no price in
    a sentence where it stands bare (the age 61 in "| 1318 | 1/3/1954 | 61 |…", for "员工 1318 的年薪是多少？")."""
    return {(m.group(1) or m.group(2)).replace(",", "") for m in _AMOUNT.finditer(text)}


def _in_other_words(text: str, language: str) -> bool:
    """Whether ``text`` says something in words of the other language than ``language``: a formula line ("= 0.2 × 4 +
    (1 −0.2) × 1 = 0.5") is in neither, and its 0.5 was quoted for "How much does one evaluation cost?"."""
    if language_of_passage(text) == language:
        return False
    return len(HAN.findall(text)) >= 4 if language == "en" else len(LATIN_WORD.findall(text)) >= 3


def _sentences_and_clause_pairs(index: int, text: str, sentences: list[tuple[str, int, int]], language: str) -> list[Span]:
    """Passage ``index``'s sentences, then each one that ends in a semicolon or a colon together with the next when
    both are in words of the other language than ``language``: a list run into one sentence ("定义两个函数：①
    embed_query 方法……；② embed_documents 方法……") names its items in two."""
    spans = [Span(index + 1, sentence, start, end) for sentence, start, end in sentences]
    for (first, start, _), (second, _, end) in pairwise(sentences):
        if first.rstrip()[-1:] in ";；:：" and _in_other_words(first, language) and _in_other_words(second, language):
            spans.append(Span(index + 1, text[start:end], start, end))
    return spans


def _names_all(index: TermIndex, named: list[Term], asked: list[Term]) -> bool:
    """Whether a sentence (``index``) holds each of ``named`` and the question's names and numbers (``asked``)."""
    return all(index.has(t) for t in named) and index.names_all(asked)


def _closest(text: str, spans: list[Span], embeddings: Any) -> Span:
    """The span closest in meaning to ``text``; the first without an embedding model or with one span."""
    if embeddings is None or len(spans) == 1:
        return spans[0]
    import numpy as np

    vectors = np.asarray(embeddings.embed_documents([text] + [s.text for s in spans]), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
    return spans[int(np.argmax(vectors[1:] @ vectors[0]))]
