"""An answer of another year than the question names.

"瞿希贤的哪一部歌曲获1964年全国群众歌曲一等奖？" was answered "……《新的长征，新的战斗》于1980年被评为优秀群众歌曲" from a
sentence of the passage that has no 1964: the claim gives another year in place of the question's, and another
sentence ("合唱曲《全世界无产者联合起来》获1964年全国群众歌曲一等奖") holds the question's year and more of its words.
:func:`sentence_of_the_year` finds that sentence, which is quoted instead.
"""

from __future__ import annotations

import re

from kb_assistant.qa.answer_kinds import asks_when
from kb_assistant.qa.evidence import Span, clearly_better
from kb_assistant.qa.number_clauses import MIN_GAIN
from kb_assistant.qa.terms import Term, TermIndex, normalise

_YEAR = re.compile(r"(?<![\d.])(1[0-9]{3}|20[0-9]{2})(?![\d.])")
_ASKS_WHICH = re.compile(r"谁|哪|何人|\bwho(?:m|se)?\b|\bwhich\b", re.IGNORECASE)
"""A question for who or which one: its year picks the one. Not "发生什么情况", whose year may only set the scene
("嘉義市至1982年升格為省轄市為止……，發生什麼情況……?": the answer is the next sentence, of later years)."""


def years(text: str) -> set[str]:
    """The four-digit years (1000 to 2099) ``text`` names."""
    return set(_YEAR.findall(normalise(text)))


def sentence_of_the_year(question: str, asked: list[Term], numbers: list[Term], span: Span,
                         sentences: list[tuple[str, int, int]]) -> Span | None:
    """The sentence of the evidence's passage (``sentences``) that names the year ``question`` names, when it asks
    who or which one, the claim's ``numbers`` (those the question does not hold) give another year, its evidence
    ``span`` names none of the question's, and that sentence holds clearly more (``MIN_GAIN``) of the question's
    weighted terms (``asked``); None otherwise."""
    wanted = years(question)
    if (not wanted or not _ASKS_WHICH.search(question) or years(span.text) & wanted
            or not any(_YEAR.fullmatch(t.text) for t in numbers)):
        return None
    holding = [(text, start, end) for text, start, end in sentences if years(text) & wanted]
    if not holding:
        return None
    mine, theirs = TermIndex.of(span.text), [TermIndex.of(text) for text, _, _ in holding]
    best = clearly_better(asked, [mine, *theirs], [mine], theirs, MIN_GAIN)
    if best is None:
        return None
    text, start, end = holding[best]
    return Span(span.number, text, start, end)


def year_from_another_sentence(question: str, asked: list[Term], numbers: list[Term], span: Span,
                               sentences: list[tuple[str, int, int]]) -> Span | None:
    """The evidence ``span``, to be quoted, when ``question`` asks when, the claim's year (in ``numbers``) is not the
    span's, the span names a year of its own, and each sentence of the passage (``sentences``) that names the claim's
    year holds clearly fewer (``MIN_GAIN``) of the question's words (``asked``): the claim put a year said of another
    thing beside the words of the sentence that answers ("深度学习的概念是1989年正式提出的" from "……例如卷积神经网络是在
    1989提出……" and "……在2015年正式提出深度学习的概念"). None otherwise."""
    claimed, own = {t.text for t in numbers if _YEAR.fullmatch(t.text)}, years(span.text)
    if not claimed or not own or claimed & own or not asks_when(question):
        return None
    holding = [TermIndex.of(text) for text, _, _ in sentences if years(text) & claimed]
    mine = TermIndex.of(span.text)
    return span if holding and clearly_better(asked, [*holding, mine], holding, [mine], MIN_GAIN) is not None else None
