"""A sentence about another of the things a question names with a number: "《速度与激情 9》于 2021 年 5 月 21 日在中国内地上映"
for "速度与激情10内地和北美的上映时间". Every word of that sentence is the question's but the number, so the grounding
check's word and relevance tests pass it, as an answer's evidence and as a quote. So does an answer about a longer
title that holds the question's (《新约圣经》 for 《圣经》)."""

from __future__ import annotations

import re

from kb_assistant.cjk import simplified
from kb_assistant.qa.terms import normalise

_NUMBERED_NAME = re.compile(
    r"([\u4e00-\u9fff]{2,}|[A-Za-z][A-Za-z+#]*)[\s\-《》「」“”\"]*(\d+(?:\.\d+)*)(?![\d.])"
    r"(?!\s*(?:[个位名人条种件座所家项倍层届次只台辆艘架本张部年月日天周岁元米克吨%℃度分秒时万亿千百]|号(?!线)"
    r"|(?:percent|years?|months?|weeks?|days?|hours?|minutes?|seconds?|[kmc]?m|kg|g|ms|s|[KMGT]i?B)\b))",
    re.IGNORECASE,
)
"""A name with a number right after it: a sequel, a version, a model ("速度与激情10", "iPhone 15", "Python 3.12"); not a
quantity ("入职3个月", "after 3 months": a question may ask about a wrong one, and the source's is the answer). "7号线"
is a line's name; "5号" a day."""


def numbered_names(question: str) -> list[tuple[str, str]]:
    """The names with a number right after them that ``question`` holds, as (name, number); not a word that only
    leads a number in ("more extreme than in 2005": a year, no "in 2005" to tell from "in 2010")."""
    return [(name, number) for name, number in _NUMBERED_NAME.findall(normalise(question)) if name.lower() not in _LEADS]


_LEADS = frozenset(("in", "on", "at", "by", "since", "from", "to", "of", "for", "until", "till", "after", "before", "than",
                    "about", "around", "over", "under", "and", "or", "the", "a", "an", "is", "was", "are", "were", "with",
                    "between", "during", "through", "per", "only", "just", "all", "each", "every", "top", "first", "last"))


def other_numbered(question: str, text: str, heading: str = "") -> str | None:
    """What ``text`` names instead of what the question names with a number: "速度与激情 9" in "《速度与激情 9》于 2021 年 5
    月 21 日在中国内地上映" for "速度与激情10内地和北美的上映时间" (every word of that sentence is the question's but the
    number). It names the question's name (its longest end of two or more characters, for Chinese, that ``text``
    holds) with another number right after it, and never with the question's own; a number that begins the
    other's ("Python 3" for "Python 3.12") is the same; a letter after it makes another name ("GPT-4o" for "GPT-4").
    Under a ``heading`` that names the question's own, another named as what it belongs to ("本路线为 E23 的辅助线" under
    "城巴E23P线") is no subject of ``text``. None when ``text`` names no such thing."""
    text = normalise(text)
    for name, number in numbered_names(question):
        ends = [name[k:] for k in range(len(name) - 1)] if name[0] > "\u3000" else [name]
        end = next((e for e in ends if (e.lower() in text.lower() if e.isascii() else e in text)), None)
        if end is None:
            continue
        pattern = re.compile(re.escape(end) + r"[\s\-《》「」“”\"]*(\d+(?:\.\d+)*)(?![\d.])([a-z]*)(?![a-z])(\s*的)?",
                             re.IGNORECASE)
        asked, suffix = number.split("."), _suffix(question, name, number)
        titled = any(_same_or_within(f.split("."), asked) and s.lower() == suffix
                     for f, s, _ in pattern.findall(normalise(heading)))
        found = [(f, s) for f, s, of in pattern.findall(text) if not (titled and of)]
        # "GPT-4o" is another model than the "GPT-4" asked about: a letter after the number makes another name
        if found and not any(_same_or_within(f.split("."), asked) and s.lower() == suffix for f, s in found):
            return f"{end} {found[0][0]}{found[0][1]}"
    return None


def _suffix(question: str, name: str, number: str) -> str:
    """The letters the question writes right after a numbered name ("o" of "GPT-4o"), lower-cased; "" for none."""
    match = re.search(re.escape(name) + r"[\s\-《》「」“”\"]*" + re.escape(number) + r"([a-z]*)(?![a-z])", normalise(question),
                      re.IGNORECASE)
    return match.group(1).lower() if match else ""


def _same_or_within(one: list[str], other: list[str]) -> bool:
    shorter = min(len(one), len(other))
    return [int(x) for x in one[:shorter]] == [int(x) for x in other[:shorter]]


_TITLE = re.compile(r"《([^》]{1,40})》")


def other_title(question: str, claim: str) -> str | None:
    """The title ``claim`` names in place of the question's, when it names a longer one that holds it and not the
    question's own: "这位领袖于何时出版《圣经》法语译本?" answered "1523年出版了他的《新约圣经》法语译本" (the whole 《圣经》 came in
    1530). None otherwise."""
    asked = {simplified(t) for t in _TITLE.findall(question)}
    said = {simplified(t) for t in _TITLE.findall(claim)}
    if not asked or not said or asked & said:
        return None
    return next((f"《{t}》" for t in sorted(said) if any(a in t for a in asked)), None)
