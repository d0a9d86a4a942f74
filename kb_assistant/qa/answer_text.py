"""The text of a model's answer as the grounding check and the chain read it: its sentences, its citation markers
("[1]", "【资料2】"), and whether it is empty, markers only, or a refusal."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from kb_assistant.cjk import HAN, WIDE, simplified
from kb_assistant.qa.prompts import (
    NOT_FOUND,
    NOT_FOUND_IN_LANGUAGE,
    NOT_FOUND_MOSTLY_IN_LANGUAGE,
    NOT_FOUND_PARTLY_IN_LANGUAGE,
)

MARKER = re.compile(r"[\[【]\s*(?:资料|来源|source|context)?\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】]", re.I)
"""A citation marker: [1], [1, 2], 【1】, [资料1], [source 1] (each of [1][2] alone)."""
TRAILING = "。.!?！？；;，,：: "
"""Punctuation a sentence may end with."""
_SENTENCE_END = re.compile(
    r"(?<=[。！？；;])(?![”’」』）\"'])|(?<=[。！？；;][”’」』）\"'])(?![，,、])"  # a closing quote stays with its sentence
    r"|(?<=[!?])(?![”’」』）\"')\]])(?![ \t]+[a-z])|(?<=[!?][”’」』）\"')\]])(?![ \t]+[a-z])"  # 'such as "why?" are'
    r"|(?<=\.)(?<!\b[A-Z]\.)(?<!\b(?:Mr|Ms|Dr|St|Jr|Sr|Mt|vs|No|Lt|Fr)\.)"  # "Niels B. Christiansen"
    r"(?<!\b(?:Mrs|Rev|Gen|Col|Sgt|Gov|Sen|Rep|Hon|Maj|Adm)\.)(?<!\b(?:Prof|Capt|Supt|Pres)\.)(?=\s)"  # "Rev. Paul T."
)
_HARD_BREAK = re.compile(r"\n(?:[ \t]*\n)+|\n(?=[ \t]*(?:[-*+•>#|]|\d{1,3}[.)、]\s|```|$))")
"""A line break that ends a sentence even without punctuation: a blank line, or one before a list item, a
heading, a quote, a table row or a code fence. Any other single line break is a hard wrap inside a paragraph."""
_WRAP = re.compile(r"[ \t]*\n[ \t]*")
_LIST_NUMBER = re.compile(r"\d{1,3}[.)]")
"""What a numbered list item opens with ("1."): its marker, not a sentence of its own."""
_REFUSALS = ("没有找到相关信息", "没有相关信息", "无法回答", "does not contain", "no information", "not mentioned")


def split_sentences(text: str) -> list[tuple[str, int, int]]:
    """Sentences of ``text`` with their offsets (Chinese and English punctuation, paragraph and list breaks).

    A line break inside a paragraph (text wrapped at a fixed width, as Markdown and mails are) does not end a
    sentence; in the sentence's text it reads as a space (none between Chinese characters). A line that is a
    heading or a title ends where the line does."""
    out: list[tuple[str, int]] = []
    for cut, end in itertools.pairwise([-1, *hard_breaks(text), len(text)]):
        start = cut + 1
        row = text[start:end].lstrip().startswith("|")  # a table row is one piece, whatever its cells hold
        for match in () if row else _SENTENCE_END.finditer(text, start, end):
            if _LIST_NUMBER.fullmatch(text[start : match.start()].strip()):
                continue  # "1. **准确性**：…" is one item
            if _inside_quotation(text[start : match.start()]):
                continue  # “法国最大的城市是什么？法国的人口是多少？”，因为…: the words quoted are part of one sentence
            if text.count("`", start, match.start()) % 2:
                continue  # inside inline code: `print("你好！")` is one sentence's words
            if _quoted_inside(text, start, match.start()):
                continue  # "以「……之责任。」为宗旨。": the quotation is a part of the sentence that goes on
            out.append((text[start : match.start()], start))
            start = match.end()
        out.append((text[start:end], start))
    sentences = []
    for piece, at in _unpunctuated_lines(out):
        stripped = piece.strip()
        if stripped:
            at += len(piece) - len(piece.lstrip())
            sentences.append((unwrap(stripped), at, at + len(stripped)))
    return sentences


MARKS = "，,。．.；;：:！!？?、"
"""Punctuation marks that end or divide a sentence."""
_PUNCTUATION = re.compile(f"[{re.escape(MARKS)}]")
_UNPUNCTUATED = 12
"""Characters from which a run of lines with no punctuation at all is lines, not one wrapped sentence (wrapped
prose has a mark within two lines)."""


_SHORT_LINE = 24
"""Characters a subtitle's line rarely passes (median); wrapped prose runs to its page's or editor's width."""


def _are_lines(piece: str) -> bool:
    """Whether ``piece`` is lines, not one wrapped sentence: it holds no punctuation mark at all, or its lines are
    short and two of them in a row hold none (a transcript whose line lists "深度学习、静态视觉以及数据挖掘")."""
    if not _PUNCTUATION.search(piece):
        return True
    lines = [line for line in piece.strip().split("\n") if line.strip()]
    if len(lines) < 3 or sorted(map(len, lines))[len(lines) // 2] > _SHORT_LINE:
        return False
    unmarked = [not _PUNCTUATION.search(line) for line in lines]
    return any(a and b for a, b in itertools.pairwise(unmarked))


def _unpunctuated_lines(pieces: list[tuple[str, int]]) -> Iterator[tuple[str, int]]:
    """``pieces`` with each long run of lines that holds no punctuation mark (or short lines, two in a row
    without one) cut at its line breaks: a speech transcript's lines ("他在人文智能底层会议\n亲爱发表了五十余篇学术论文\n…")
    are its sentences; read as one wrapped sentence, a whole chunk would be quoted as one."""
    for piece, at in pieces:
        if len(piece.strip()) < _UNPUNCTUATED or "\n" not in piece.strip() or not _are_lines(piece):
            yield piece, at
            continue
        offset = 0
        for line in re.split(r"\n(?![ \t])", piece):  # an indented line goes on the line above (a list item's)
            yield line, at + offset
            offset += len(line) + 1


def _quoted_inside(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` ends with a quotation closed after its own full stop that opened inside the
    sentence (not at its start, nor after a colon: "他说：“好。”" is said, and what follows is another sentence), and
    Chinese goes on right after it without a mark: then the sentence has not ended."""
    if end >= len(text) or not HAN.match(text[end]) or text[end - 1 : end] not in ("」", "”", "』"):
        return False
    opening = max(text.rfind(mark, start, end) for mark in ("「", "“", "『"))
    return opening > start and text[start:opening].strip() != "" and text[:opening].rstrip()[-1:] not in ("：", ":")


def _inside_quotation(text: str) -> bool:
    """Whether ``text`` leaves a Chinese quotation (“…”, 「…」) open. A second “ while one is open closes it: texts
    typed with “ at both ends (“车站“) must not run on to the end of their paragraph."""
    curly = corner = False
    for char in text:
        if char == "“":
            curly = not curly
        elif char == "”":
            curly = False
        elif char == "「":
            corner = True
        elif char == "」":
            corner = False
    return curly or corner


def unwrap(text: str) -> str:
    """``text`` with every line break read as a wrap: a space between words, nothing between Chinese characters."""
    return _WRAP.sub(lambda m: _joint(text, m.start(), m.end()), text)


def unwrap_paragraphs(text: str) -> str:
    """``text`` with the line breaks inside its sentences undone, every other one kept (paragraphs, lists, an
    FAQ's question on its line): what a reader sees. A small model copies a wrapped sentence only up to the
    line's end ("她的办公室在 B 座" where the file goes on "1207 室" on the next line)."""
    hard = set(hard_breaks(text))

    def joint(match: re.Match[str]) -> str:
        ends_sentence = match.start() > 0 and text[match.start() - 1] in "。！？!?.;；:："
        if ends_sentence or any(i in hard for i in range(match.start(), match.end())):
            return "\n"
        return _joint(text, match.start(), match.end())

    return _WRAP.sub(joint, text)


def hard_breaks(text: str) -> list[int]:
    """Positions of the line breaks that end a sentence even without punctuation: each of a blank line's, one
    before a list item, a heading, a quote, a table row or a code fence, and one after a heading or a title
    (``_is_title``). Any other line break is a wrap inside a paragraph."""
    cuts = {i for m in _HARD_BREAK.finditer(text) for i in range(m.start(), m.end()) if text[i] == "\n"}
    lines, start = [], 0
    for line in text.split("\n"):
        lines.append((start + len(line), line.strip()))
        start += len(line) + 1
    for (end, line), (_, following) in itertools.pairwise(lines):
        if line.startswith("#") or _is_title(line, following):
            cuts.add(end)
    return sorted(cuts)


def _joint(text: str, start: int, end: int) -> str:
    before, after = text[start - 1 : start], text[end : end + 1]
    return "" if WIDE.match(before) and WIDE.match(after) else " "


def _is_title(line: str, following: str) -> bool:
    """A line that is not wrapped text: no punctuation at its end and well short of the line after it (a wrapped
    paragraph's lines are about as long as each other)."""
    return bool(line) and not line.endswith(tuple(",，、;；:：-")) and _width(line) < 0.6 * _width(following)


def _width(line: str) -> int:
    """Columns the line takes: a Chinese character two, as wrapping tools count them."""
    return len(line) + len(WIDE.findall(line))


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
    lowered = simplified(answer.lower())  # 知識庫中沒有找到相關信息 too
    ours = (*NOT_FOUND.values(), *NOT_FOUND_IN_LANGUAGE.values(), *NOT_FOUND_PARTLY_IN_LANGUAGE.values(),
            *NOT_FOUND_MOSTLY_IN_LANGUAGE.values())
    return any(r in lowered for r in _REFUSALS) or any(n.lower() in lowered for n in ours)


_FINISHED = re.compile(r"[。！？!?.…；;:：)）\]】”’」』\"'*`|]\s*$")
"""How a sentence that was finished ends: a full stop of either script, or what may close one (a bracket, a quote,
bold, code, a table cell)."""


def without_unfinished_end(text: str, cut: bool) -> str:
    """``text`` without its last sentence when that one is unfinished and was cut off: by the token limit (``cut``,
    "……9. **支持多模型" where what it had begun to say is no claim, and its words, found in a source, passed the check),
    or by the repetition guard, which stops a loop once the text ends in a stretch it already holds (the last
    sentence then begins an earlier one over again). A draft that is one unfinished sentence stays as it is: it
    may still hold the answer."""
    sentences = split_sentences(text)
    if len(sentences) < 2:
        return text
    last, start, _ = sentences[-1]
    if _FINISHED.search(without_markers(last)):
        return text
    begun = _bare(last)
    if cut or (len(begun) >= 2 and any(_bare(s).startswith(begun) for s, _, _ in sentences[:-1])):
        return text[:start].rstrip()
    return text


def _bare(sentence: str) -> str:
    """A sentence's words without its list number, markup, markers or spaces: what a loop repeats."""
    return re.sub(r"[\s*_`#>|-]+", "", re.sub(r"^\d{1,3}[.)、]", "", without_markers(sentence).strip()))


_QUOTED = re.compile(r"(?:根[据據][资資]料\[\d+\]原文：“(?P<zh>.*?)”|Quoting source \[\d+\]: \"(?P<en>.*?)\")", re.DOTALL)


def as_said(answer: str) -> str:
    """An earlier answer as it is said: a quote's sentence without our "Quoting source [1]:" wrapper (the model copied
    it into its next answer: 'Quoting source : "An API key is required…" [1].') and no citation markers, whose numbers
    were that turn's sources."""
    return without_markers(_QUOTED.sub(lambda m: m.group("zh") or m.group("en") or "", answer)).strip()


_SOURCE_BY_NUMBER = re.compile(
    r"(?:^|(?<=[。！？!?\n]))[ \t]*(?:根据|根據)?[资資]料中的(?:第\s*[\d一二三四五六七八九十]+\s*[条條段](?:和|、)?)+"
    r"(?:明确指出|提到|指出|描述了|中|说)?\s*[，,:：]?")


def without_source_number(answer: str) -> str:
    """``answer`` without the sentence openings that name a source by its number in words ("资料中的第1条提到",
    "根据资料中的第13条和第14条，"): the small model cites so where it would write [1], the number is none the source
    states, and it is often not the source that supports the sentence (the check cites that one)."""
    return _SOURCE_BY_NUMBER.sub("", answer)
