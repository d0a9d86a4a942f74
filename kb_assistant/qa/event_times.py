"""A time the answer took from a sentence about another event.

"When was ChatGPT released?", asked again in Chinese, was answered "ChatGPT 于 2022 年底发布" from "ChatGPT，发布于 2022 年
11 月，是目前火热出圈的大语言模型……。在 2022 年底，也正是 ChatGPT 的惊人表现引发了 LLM 的热潮。" Every word of the answer is
in the passage, and its year is in both sentences; but "2022 年底" stands only in the sentence about another event (the
LLM boom), and the sentence that says 发布 gives another time. :func:`time_from_other_sentence` finds that sentence, and
the check quotes it.
"""

from __future__ import annotations

import re

from kb_assistant.qa.evidence import Span
from kb_assistant.qa.terms import Term, TermIndex, normalise

_TIME = re.compile(r"(\d{4})\s*年\s*(?:\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?|[年]?[初底末中]|上半年|下半年|春|夏|秋|冬)?")
"""A time in Chinese: a year with what narrows it (a month and day, 年底, 上半年)."""


def _times(text: str) -> set[str]:
    return {re.sub(r"\s+", "", m.group(0)) for m in _TIME.finditer(normalise(text))}


def time_from_other_sentence(asked: list[Term], claim: str, span: Span,
                             sentences: list[tuple[str, int, int]]) -> Span | None:
    """The passage's sentence that states the question's event with another time, when ``claim``'s time (narrower
    than a year: "2022 年底") stands only in sentences of the passage (its ``sentences``) that lack a word of the
    question (``asked``: its terms) which that sentence holds; None otherwise. Only times the claim narrows count:
    a bare year is the same in both sentences."""
    said = {t for t in _times(claim) if not t.endswith("年")}
    if not said:
        return None
    words = [t for t in asked if t.kind != "number" and not t.strict]
    holding = [s for s in sentences if said & _times(s[0])]
    others = [s for s in sentences if s not in holding and _times(s[0]) - said]
    if not holding or not others or not words:
        return None
    for text, start, end in others:
        index = TermIndex.of(text)
        own = [t for t in words if index.has(t)]
        if own and all(any(not TermIndex.of(h[0]).has(t) for t in own) for h in holding):
            return Span(span.number, text, start, end)
    return None
