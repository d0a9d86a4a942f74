"""A share given for a count: "How many employees took part in the NASA satisfaction survey?" (never said) was
answered "…the NASA employees were satisfied … with a satisfaction rating of 95%". A percentage counts no people,
unless it is a share of the very things counted ("7%到10%的美国医生" for "估计有多少医生自己配药?"): then it is the count the
source gives."""

from __future__ import annotations

import re

from kb_assistant.cjk import simplified

_COUNTS = re.compile(r"\bhow many\b|多少(?=[\u4e00-\u9fff])(?![钱元块度倍])|几(?:个|名|位|人|家|所|种|次|座|部|本|条|项|件|只|支|辆|场)",
                     re.IGNORECASE)
"""How many of a thing: 多少员工, 几个 (not "满意度是多少", a value)."""
_ASKS_SHARE = re.compile(r"percent|%|％|百分|比例|比率|占比|份额|成(?:的|是)|\brate\b|\bshare\b|\bproportion\b|率|度", re.IGNORECASE)
_COUNTED = re.compile(r"多少(?:个|名|位|人|家|所)?([\u4e00-\u9fff]{2})|\bhow many ([a-z]+)", re.IGNORECASE)
"""The thing a count question counts: 医生 of "多少医生", employee(s) of "how many employees"."""
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:\s*(?:%|％|percent\b|per cent\b))?", re.IGNORECASE)


def share_for_count(question: str, kept: list[str]) -> str | None:
    """"count" when ``question`` asks how many of something (not what share) and every number of ``kept`` (the
    answer's supported sentences) is a percentage; None otherwise."""
    plain = simplified(question)
    if not _COUNTS.search(plain) or _ASKS_SHARE.search(plain):
        return None
    numbers = [(text, m) for text in map(simplified, kept) for m in _NUMBER.finditer(text)]
    if not numbers or not all(m.group(0).rstrip().endswith(("%", "％", "percent", "cent")) for _, m in numbers):
        return None
    # a share of the very things counted is the count the source gives: "估计有多少医生自己配药?", "7%到10%的美国医生……"
    counted = _COUNTED.search(plain)
    word = (counted.group(1) or counted.group(2)[:5]).lower() if counted else None
    if word and any(word in text[m.end() : m.end() + 16].lower() for text, m in numbers):
        return None
    return "count"
