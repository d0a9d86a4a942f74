"""Ending an answer the model has started to repeat.

Small models fall into loops: asked "RAG 有哪些优势？", the embedded 0.5B model wrote nine items and then the same
item ("**可扩展性**：RAG 提供了良好的可扩展性……") with a new number six times, until its token limit, 43 s of a laptop's
time of which the last third was the loop. Sampling penalties would also keep it from copying the documents' words,
which is what a grounded answer is made of, so the loop is stopped once it shows instead.
"""

from __future__ import annotations

import re

_LIST_NUMBER = re.compile(r"(?m)^([ \t]*)\d{1,3}(?=[.)、])")
_CODE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,}).*?(?:^[ \t]{0,3}\1|\Z)", re.MULTILINE | re.DOTALL)


class RepetitionGuard:
    """Says when the text so far ends with a stretch of ``span`` characters it already holds earlier: prose that
    repeats a sentence or an item word for word is looping (a list item's number does not count; code blocks are
    left out, where the same lines can rightly come twice)."""

    def __init__(self, span: int = 64, every: int = 8) -> None:
        self.span = span
        self.every = every
        self.text = ""
        self._checked = 0

    def push(self, piece: str) -> bool:
        """Add generated text; True when the text now ends in a repeat. Looked at once ``every`` characters have
        come since the last look, or a line has ended: the look reads the whole text."""
        self.text += piece
        if len(self.text) - self._checked < self.every and "\n" not in piece:
            return False
        self._checked = len(self.text)
        if len(self.text) < 2 * self.span or self.text.count("```") % 2 or self.text.count("~~~") % 2:
            return False  # too short to hold a repeat, or inside a code block
        prose = _LIST_NUMBER.sub(r"\1#", _CODE.sub("\0", self.text))
        tail = prose[-self.span :]
        return "\0" not in tail and prose.find(tail) < len(prose) - self.span
