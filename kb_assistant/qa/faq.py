"""FAQ entries: a question line and the lines that answer it until a blank line ("Which embedding model is the
default?" / "multilingual-e5-small, which …"). The grounding check reads an entry's answer as answering its own
question, and weighs which entry a question is about by the entry's question."""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb_assistant.qa.evidence import Passage, Span
from kb_assistant.qa.terms import TermIndex, asked_terms, claimed_terms


def faq_question(text: str, start: int) -> str | None:
    """The question line an FAQ entry opens with, for a sentence of its answer that starts at ``start`` after the
    answer's first line: "Without a download, the embedded default is Qwen2.5-Coder-0.5B-Instruct" answers "Which
    chat models are supported?" two lines up, and is about chat models though it does not say so. None for the
    question itself and for any sentence that is not in an FAQ entry's answer."""
    block_start = text.rfind("\n\n", 0, start)
    block = text[block_start + 2 if block_start >= 0 else 0 : start]
    lines = block.split("\n")
    if len(lines) < 2 or not lines[0].rstrip().endswith(("?", "？")):
        return None  # not in an FAQ entry, or on its question's line
    return lines[0].strip()


def entry_asks_more(question: str, quote: Span, evidence: list[Span], passages: Sequence[Passage]) -> bool:
    """Whether the kept sentences answer an FAQ entry whose question holds a word of the question that the quoted
    entry lacks: "What is the embedded default chat model?" is answered in "Which chat models are supported?", not
    in "Which embedding model is the default?", though that one holds three of its four words."""
    entry = TermIndex.of(quote.text)
    lacking = [t for t in asked_terms(question) if not entry.has(t)]
    for span in evidence:
        asked_there = faq_question(passages[span.number - 1].text, span.start)
        if asked_there and any(TermIndex.of(f"{asked_there}\n{span.text}").has(t) for t in lacking):
            return True
    return False


def drops_the_name(question: str, source: str, kept: list[str]) -> bool:
    """Whether the kept sentences leave out the name or number an FAQ's answer line opens with, what it answers
    with ("multilingual-e5-small, which …"), where the question does not say it either."""
    answer = re.split(r"[?？]", source)[-1]
    asked, said = TermIndex.of(question), TermIndex.of(" ".join(kept))
    named = [t for t in claimed_terms(answer) if t.strict and not asked.has(t)]
    whole = [t for t in named if not any(t.text != o.text and t.text in o.text for o in named)]  # not e5's "5"
    return bool(whole) and not said.has(whole[0])
