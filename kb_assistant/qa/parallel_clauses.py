"""A name the answer takes from a parallel clause of its evidence: the one beside the clause the question points to.

"《内蒙古植物志》中的裸子植物采用了谁的系统？" was answered "……裸子植物采用1978年秦仁昌系统" from "《内蒙古植物志》的蕨类植物采用
1978年秦仁昌系统，裸子植物采用1978年郑万钧系统，被子植物采用1936年恩格勒系统": every word of the claim is in the sentence, but its
name stands in the clause about ferns. :func:`name_from_parallel_clause` sees it: the name the claim adds stands in one
clause only, another clause is built the same way (the characters around the name are there too: "8年……系统"), and
that clause holds clearly more of the question's words (each clause read with those before it, which name what it is
about, as a number's clauses are: so a clause before the claim's is never the better one). As for a number read from
another clause (:mod:`kb_assistant.qa.number_clauses`), the sentence is quoted instead.

"1978年在小組賽以6比0大勝祕魯為哪一隊?" was answered 巴西 from "但是阿根廷在後一場小組賽，以6比0大勝秘魯，導致巴西因淨球數差不及阿根廷
而屆居小組次名": the claim's name stands only in a clause after the one that says what is asked, which with the clauses
before it names another (阿根廷): :func:`name_after_the_asked_clause`.
"""

from __future__ import annotations

import re

from kb_assistant.cjk import simplified
from kb_assistant.kb.tokens import jieba_lock
from kb_assistant.qa.answer_kinds import ASKS_WHO
from kb_assistant.qa.chinese_words import tagged_words
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


def name_after_the_asked_clause(question: str, asked: list[Term], claim: str, span: Span) -> Span | None:
    """``span`` (to be quoted), when ``question`` asks who (or which team, institution…), and the names ``claim`` adds
    to it stand only in clauses of it that hold no word of the question's (``asked``), after one that holds clearly
    more (``MIN_GAIN``) of them, and that clause or those before it name something else of the same kind that the
    question does not name: the subject of what is asked, which the claim replaced by a name from what follows.
    None otherwise (the name that comes after what is asked, with no other name before it, is most often its
    answer: "以6比0大勝秘魯的球隊，是東道主阿根廷")."""
    added = added_names(question, claim)
    parts = [normalise(part) for part in clauses(span.text)]
    if not added or len(parts) < 2 or not ASKS_WHO.search(simplified(question)):
        return None  # where to, why: "……經行政院開會決議後，將中央政府……播遷至臺灣" names the place after what is asked
    read = [TermIndex.of(part) for part in parts]
    held = [k for k, index in enumerate(read) if any(index.has(t) for t in added)]
    if not held or not held[0] or any(read[k].has(t) for k in held for t in asked if t.kind != "number"):
        return None  # a clause that says some of what is asked ("拜川剧名丑李文杰为师") says it of its own name
    others = [k for k in range(len(parts)) if k not in held]
    best = clearly_better(asked, read, [read[k] for k in held], [read[k] for k in others], MIN_GAIN)
    if best is None or others[best] > held[0]:
        return None  # what is asked is said after the name ("……的劉穆之一直予以重任，在收復建康後讓他主持政局")
    best = others[best]
    said, before = TermIndex.of(claim), "，".join(parts[: best + 1])
    in_claim, in_before = _kinds(claim), _kinds(before)
    kinds = {in_claim.get(simplified(normalise(t.text)), "") for t in added}  # a team for a team, not their cup
    rivals = [t for t in added_names(question, before)
              if not said.has_near(t) and in_before.get(simplified(normalise(t.text)), "") in kinds]
    return span if rivals else None


def _kinds(text: str) -> dict[str, str]:
    """What jieba takes each word of ``text`` for (simplified): "who" for a person, place or organisation (which it
    often confuses: 阿根廷 is a person beside 在), "nz" for another proper noun (a cup, a work), else its tag's first two
    letters."""
    with jieba_lock:
        words = tagged_words(text)
    return {plain: "who" if flag.startswith(("nr", "ns", "nt")) else flag[:2] for _, plain, flag in words}
