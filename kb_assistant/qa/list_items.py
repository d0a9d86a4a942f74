"""A sentence under another item of a numbered list than the one the question names: "我们可以选取部分案例，使用构造客观题的方式
来进行模型评估" sits under "1. 客观正确性。" and was quoted for "混合评估中智能性用什么方式评估？", whose answer sits under "3. 智能性。"
of the same list. Its words are the question's (评估, 方式), but what it is about is said by its item's label.
"""

from __future__ import annotations

import functools
import re

from kb_assistant.qa.terms import normalise

_ITEM = re.compile(
    r"^[ \t]*(?:\d{1,2}[.、)）]|[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]|[一二三四五六七八九十]{1,3}、)[ \t]*\**([^。：:，,\n*]{2,12})\**[。：:]",
    re.MULTILINE,
)
"""A numbered item that opens with a short label ("3. 智能性。", "① 知识查找正确性。", "二、**费用**：")."""


def other_item(question: str, passage: str, start: int, sentence: str) -> str | None:
    """The label of the list item that ``sentence`` (at ``start`` in ``passage``) sits under, when the question
    names another label of the same list and neither that item's nor the sentence names one the question does;
    else None. A list of one item, or a sentence before the list, is left alone."""
    items = _items(passage)
    if len(items) < 2:
        return None
    asked = normalise(question)
    named = {label for _, label in items if label in asked}
    if not named:
        return None
    under = [label for at, label in items if at <= start]
    if not under or under[-1] in named:
        return None
    said = normalise(sentence)
    return None if any(label in said for label in named) else under[-1]


@functools.lru_cache(maxsize=1024)
def _items(passage: str) -> tuple[tuple[int, str], ...]:
    """Each numbered item of ``passage`` with a label: where it starts and its label (normalised)."""
    return tuple((m.start(), normalise(m.group(1).strip())) for m in _ITEM.finditer(passage))
