"""Fenced code blocks in a chunk's text: where the one that holds a sentence opens, and the sentences that introduce
it (what a block of JSON or a quoted review is about is said before it, not in it)."""

from __future__ import annotations

import re


def block_lead_in(text: str, at: int, sentences: list[tuple[str, int, int]], body: int = 0) -> list[int]:
    """The indexes of the sentences that introduce the fenced block holding offset ``at`` of ``text``, if it is in
    one: the paragraph before the block and the one before that, up to a heading or another block. A review quoted in
    a code block ("在我看来，Lumina 是一家……优秀公司！") is about what the sentence before the block says it is ("让我们以一则电商
    平台上的台灯评论为例……"), which no line of the block repeats; a JSON of staff e-mails is introduced a paragraph
    earlier ("假设我们有一个 JSON 数据,包含餐厅员工的姓名和邮箱信息。"). Empty where the block opened before the chunk
    (``body``: where its own words start)."""
    opened = code_block_start(text, at, body)
    if opened is None:
        return []
    before = [i for i, s in enumerate(sentences) if s[2] <= opened and s[0].strip()]
    lead, paragraphs = before[-1:], 1
    for i in reversed(before[:-1]):
        gap = text[sentences[i][2] : sentences[lead[-1]][1]]
        if "```" in gap + sentences[i][0] or sentences[i][0].lstrip().startswith("#"):
            break  # another block, or a heading: what comes before it introduces something else
        paragraphs += "\n\n" in gap.replace(" ", "").replace("\t", "")
        if paragraphs > _LEAD_PARAGRAPHS:
            break
        lead.append(i)
    return lead


_LEAD_PARAGRAPHS = 2
"""Paragraphs before a fenced block that introduce it."""


def code_block_start(text: str, at: int, body: int = 0) -> int | None:
    """Where the fenced code block that holds offset ``at`` of ``text`` opens, if ``at`` is inside one; ``body``
    (where the chunk's own words start) when the chunk begins inside a block: chunks are cut by size, and its first
    fence is then a bare closing one, followed by a fence that names a language (another block opening)."""
    fences = [(body + m.start(), m.group(1)) for m in _FENCE.finditer(text[body:])]
    starts_inside = len(fences) >= 2 and not fences[0][1] and bool(fences[1][1])
    before = [position for position, _ in fences if position < at]
    if (len(before) + starts_inside) % 2 == 0:
        return None
    return before[-1] if before else body


_FENCE = re.compile(r"(?m)^[ \t]*```[ \t]*(\S*)")
