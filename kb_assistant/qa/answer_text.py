"""The text of a model's answer as the grounding check and the chain read it: its sentences, its citation markers
("[1]", "【资料2】"), and whether it is empty, markers only, or a refusal."""

from __future__ import annotations

import re

from kb_assistant.qa.prompts import NOT_FOUND

MARKER = re.compile(r"[\[【]\s*(?:资料|来源|source|context)?\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】]", re.I)
"""A citation marker: [1], [1, 2], 【1】, [资料1], [source 1] (each of [1][2] alone)."""
TRAILING = "。.!?！？；;，,：: "
"""Punctuation a sentence may end with."""
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.)(?=\s)|\n+")
_REFUSALS = ("没有找到相关信息", "没有相关信息", "无法回答", "does not contain", "no information", "not mentioned")


def split_sentences(text: str) -> list[tuple[str, int, int]]:
    """Sentences of ``text`` with their offsets (Chinese and English punctuation, line breaks)."""
    out, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start()
        if end > start:
            out.append((text[start:end], start, end))
        start = match.end()
    if start < len(text):
        out.append((text[start:], start, len(text)))
    return [(s.strip(), a + len(s) - len(s.lstrip()), b) for s, a, b in out if s.strip()]


def cited_numbers(text: str) -> list[int]:
    """The source numbers ``text`` cites, in order ([1], [1, 2], 【1】, [资料1] ...)."""
    return [int(n) for group in MARKER.findall(text) for n in re.split(r"[,，、\s]+", group) if n]


def without_markers(text: str) -> str:
    """``text`` with its citation markers ("[1]", "【资料2】") taken out."""
    return MARKER.sub("", text)


def is_marker_only(answer: str) -> bool:
    """True for an empty answer or one of citation markers and punctuation only."""
    return not re.sub(r"[\W_]+", "", MARKER.sub("", answer))


def is_refusal(answer: str) -> bool:
    """Whether the model said the sources do not hold the answer."""
    lowered = answer.lower()
    return any(r in lowered for r in _REFUSALS) or any(n.lower() in lowered for n in NOT_FOUND.values())
