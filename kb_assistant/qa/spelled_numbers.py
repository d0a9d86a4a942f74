"""Counts spelled in Chinese numerals ("三个", "十五人", "两年") and the digits they stand for.

A source that writes "填报不超过3个专业志愿" holds a draft's "三个专业志愿": the grounding check finds a spelled count
written in digits with the same measure word or unit after it. Only a numeral before a measure word or a unit is
read as a count ("三国", "十分", "万一" are words, not numbers). Not the other way: a source's spelled count does not
hold a draft's bare number ("chunk_overlap 指两个块之间共享的字符数量" gives no "chunk_size 设置为 2").

Written here rather than taken from ``cn2an`` (PyPI): that wheel installs ``example`` and ``src`` packages beside
its own into site-packages, and counts need no more than the numerals up to 万.
"""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL = "[零〇一二两三四五六七八九十百千万]+"
_COUNTED = ("[个位名人种类项条件次点部本家所批份篇首门句支款集队段届场座艘辆架台张只倍层顶套年月周天岁元米吨]"
            "|小时|分钟|公里|千米|公斤|千克|万")
_TERM = re.compile(rf"({_NUMERAL})\s*((?:{_COUNTED}).*)")


def spelled_value(numeral: str) -> int | None:
    """The value of a Chinese numeral up to 万 ("十五" 15, "一百零五" 105, "两万三千" 23000); None for what is no
    numeral ("三五", "十a")."""
    total, section, digit = 0, 0, None
    for char in numeral:
        if char in _DIGITS:
            if digit is not None and char not in "零〇":
                return None
            digit = _DIGITS[char] if char not in "零〇" else None
        elif char in _UNITS:
            section += (1 if digit is None else digit) * _UNITS[char]
            digit = None
        elif char == "万":
            total += (section + (digit or 0) or 1) * 10000
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0) if numeral else None


def in_digits(term: str) -> re.Pattern[str] | None:
    """A pattern that finds a spelled count term ("三个") written in digits ("3个", "3 个"); None for other terms."""
    match = _TERM.fullmatch(term)
    value = spelled_value(match.group(1)) if match else None
    if match is None or value is None:
        return None
    return re.compile(rf"(?<![\d.]){value}\s*{re.escape(match.group(2))}")


_FIRST_ORDINAL = re.compile(r"第一[个位名种款部项件本首只台辆次届]?")
_ASKS_FIRST = re.compile(r"首[次个位款部届批]|第一|最早|最先|率先|\bfirst\b", re.IGNORECASE)


def restates_first(term: str, question: str) -> bool:
    """Whether ``term`` is an ordinal "first" ("第一款") in an answer to a question that asks for the first one in
    other words ("哪款模型首次引入了上下文学习？" drafted "第一款引入了上下文学习的模型是 GPT-3"): the question's notion, which a
    source says as the question does ("由 GPT-3 首次引入"), nothing the source must hold."""
    return _FIRST_ORDINAL.fullmatch(term) is not None and _ASKS_FIRST.search(question) is not None
