"""A question that asks for the latest of something ("LangChain 的最新版本是多少？", "the newest model") is answered only
by a sentence that says it is new or current. "2024 年 9 月 16 日，LangChain 正式发布了其稳定版本 v0.3" names the version of
its day; the draft "LangChain 的最新版本是 v0.3" took 最新 from the question, and the question's words are not checked
against the source, so every word the model added (v0.3) was there. The source says when, not that nothing came after.
"""

from __future__ import annotations

import re

from kb_assistant.cjk import simplified

_ASKS_LATEST = re.compile(r"最新|最近一次|最近一个|最近发布|\blatest\b|\bnewest\b|\bmost recent\b", re.IGNORECASE)
"""The question asks for the latest ("最近的" is left out: it is also "nearest")."""
_SAYS_NEW = re.compile(
    r"最新|最近|新版|新的|新一代|新推出|新发布|刚发布|目前|当前|现在|如今|至今|现行|迄今"
    r"|\blatest\b|\bnewest\b|\bnew\b|\brecent(?:ly)?\b|\bcurrent(?:ly)?\b|\bnow\b|\btoday\b|\bto date\b",
    re.IGNORECASE,
)
"""What a sentence says of something new or current ("更新", an update, and "创新" are not: 新 must be the word)."""


def unsaid_latest(question: str, sentence: str) -> str | None:
    """The question's word for the latest ("最新", "latest") when ``question`` asks for the latest of something and
    ``sentence`` says nothing of being new or current; else None."""
    asked = _ASKS_LATEST.search(simplified(question))
    if asked is None or _SAYS_NEW.search(simplified(sentence)):
        return None
    return asked.group(0).lower()
