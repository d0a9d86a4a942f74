"""A name the answer takes from a parallel clause of its evidence: the one beside the clause the question points to.

"《内蒙古植物志》中的裸子植物采用了谁的系统？" was answered "……裸子植物采用1978年秦仁昌系统" from "《内蒙古植物志》的蕨类植物采用
1978年秦仁昌系统，裸子植物采用1978年郑万钧系统，被子植物采用1936年恩格勒系统": every word of the claim is in the sentence, but its
name stands in the clause about ferns. :func:`name_from_parallel_clause` sees it: the name the claim adds stands in one
clause only, another clause is built the same way (the characters around the name are there too: "8年……系统"), and
that clause holds clearly more of the question's words (each clause read with those before it, which name what it is
about, as a number's clauses are: so a clause before the claim's is never the better one). As for a number read from
another clause (:mod:`kb_assistant.qa.number_clauses`), the sentence is quoted instead.
"""

from __future__ import annotations

import re

from kb_assistant.qa.evidence import Span, clearly_better
from kb_assistant.qa.name_sentences import added_names
from kb_assistant.qa.number_clauses import MIN_GAIN, clauses
from kb_assistant.qa.terms import Term, TermIndex, normalise

_FRAME = 2
"""Characters on each side of the name that a parallel clause repeats."""
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]{2}")


def name_from_parallel_clause(question: str, asked: list[Term], claim: str, span: Span) -> Span | None:
    """``span`` (to be quoted), when the names ``claim`` adds to ``question`` stand in one clause of it only, and
    another clause around the same characters holds clearly more (``MIN_GAIN``) of the question's weighted terms
    (``asked``); None otherwise."""
    added = added_names(question, claim)
    parts = [normalise(part) for part in clauses(span.text)]
    if not added or len(parts) < 2:
        return None
    held = [k for k, part in enumerate(parts) if any(TermIndex.of(part).has(t) for t in added)]
    if len(held) != 1:
        return None
    frame = _frame(parts[held[0]], added)
    others = [k for k, part in enumerate(parts) if k != held[0] and frame and all(f in part for f in frame)]
    read = [TermIndex.of("，".join(parts[: k + 1])) for k in range(len(parts))]
    best = clearly_better(asked, read, [read[held[0]]], [read[k] for k in others], MIN_GAIN) if others else None
    return span if best is not None else None


def _frame(clause: str, added: list[Term]) -> list[str]:
    """The characters just before and just after the first added name in ``clause`` that are word characters."""
    for term in added:
        name = normalise(term.text)
        at = clause.find(name)
        if at >= 0:
            around = [clause[max(0, at - _FRAME) : at], clause[at + len(name) : at + len(name) + _FRAME]]
            return [piece for piece in around if _WORDLIKE.fullmatch(piece)]
    return []
