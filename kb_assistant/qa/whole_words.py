"""Words a question asks about that a text holds only inside longer words: "什么是河口？" and "梅河口至东丰段" (a
place, not a river mouth); and English words found only where one starts."""

from __future__ import annotations

import re

from kb_assistant.cjk import simplified
from kb_assistant.kb.tokens import jieba_lock
from kb_assistant.qa.chinese_words import posseg

_DEFINES = re.compile(r"^\s*(?:请问)?什么是(?P<x>[\u4e00-\u9fff]{2,8})[？?]?\s*$|^\s*(?P<y>[\u4e00-\u9fff]{2,8})是什么[？?]?\s*$")


def names_only_inside(question: str, text: str) -> str | None:
    """What a question that asks what X is ("什么是河口？") names, when ``text`` holds X only inside longer words
    ("梅河口至东丰段": a place, not a river mouth); None otherwise. On the judged passages of five Chinese sets, no
    gold sentence of the 79 such questions holds its X so."""
    match = _DEFINES.match(simplified(question))
    if match is None:
        return None
    name, text = match.group("x") or match.group("y"), simplified(text)
    found = [m.start() for m in re.finditer(re.escape(name), text)]
    if not found:
        return None
    with jieba_lock:
        words = [w.word for w in posseg().cut(text)]
    spans, at = [], 0
    for word in words:
        spans.append((at, at + len(word)))
        at += len(word)
    inside = all(any(a <= i and i + len(name) <= b and b - a > len(name) for a, b in spans) for i in found)
    return name if inside else None


def starts_a_word(text: str, part: str) -> bool:
    """Whether ``part`` is in ``text`` where a word starts (not after a Latin letter or digit): a stem or a word of
    a claim is found at the start of a text's word ("releas" in "released"), not inside one ("china" in
    "datawhalechina")."""
    at = text.find(part)
    while at >= 0:
        if at == 0 or not (text[at - 1].isascii() and text[at - 1].isalnum()):
            return True
        at = text.find(part, at + 1)
    return False


def inner_words(text: str) -> list[str]:
    """The words a camel-case name joins after its first ("bot" of "OrderBot", "chain" of "LangChain"), in lower
    case: words of the text, where a name written all in lower case ("datawhalechina") shows none."""
    return [part.lower() for part in _INNER_WORD.findall(text)]


_INNER_WORD = re.compile(r"(?<=[a-z])[A-Z][a-z]+")


_DERIVED = re.compile(r"^(?P<root>[a-z]{5,}?)(?:ian|an|ist)$")  # not -al: "capital" is no "capita"


def word_root(stem: str) -> str | None:
    """The word an English adjective or agent noun is made from ("suburb" of "suburban", "europe" of "european",
    "journal" of "journalist"), five letters at least, where its stem ends so; None otherwise. A question's "quieter
    suburban housing" is said by a source's "housing in the suburbs" (the other way round, "suburb" in "suburban",
    a word's start already is)."""
    match = _DERIVED.match(stem)
    return match.group("root") if match else None


def holds_root(text: str, root: str | None) -> bool:
    """Whether ``text`` (lower case) holds ``root`` as a whole word, or with a plural's or a noun's last letters
    ("suburbs", "america", "economy"; not "veterinary" for the "veter" of "veteran"); False for no root."""
    return root is not None and re.search(rf"(?<![a-z0-9]){re.escape(root)}(?:s|es|e|a|y)?(?![a-z0-9])", text) is not None
