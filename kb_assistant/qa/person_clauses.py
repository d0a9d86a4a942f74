"""A number the answer gives to the person the question asks about, read from another person's clause.

"约什·诺曼拦截了多少球？" was answered "约什·诺曼拦截了 88 次擒抱" from "……安全卫科特·科尔曼和职业碗角卫约什·诺曼，科尔曼带领球队完成
了职业生涯中高达七次拦截并同时贡献了 88 次擒抱，而诺曼在本赛季……完成了四次拦截": every word is in the sentence, and the
sentence is about the question, but 88 stands in the clause whose subject is 科尔曼. The number's clause opens with
another person and does not name the one asked about, while another clause of the sentence opens with the one
asked about: the number is that other person's. :func:`number_of_another_person` tells which. The grounding check
drops such a claim and quotes the sentence instead (its 四次 is written in words, which the rule for a number beside
the one asked for, :func:`kb_assistant.qa.number_clauses.number_from_other_clause`, does not read).

The same holds for a name: "王奇目前在哪所学校就读？" was answered "王奇目前就读于清华大学" from a talk's transcript, whose lines
"我是王奇 / 目前就留于中国科研院大学 / …… / 杨玉云目前就读于清华大学" the check read as one sentence:
:func:`term_of_another_person` finds 清华大学 only in the line that opens with 杨玉云.
"""

from __future__ import annotations

import re

from kb_assistant.cjk import simplified
from kb_assistant.qa.chinese_words import person_names
from kb_assistant.qa.number_clauses import clauses
from kb_assistant.qa.terms import Term, TermIndex, claimed_terms

_SEGMENT_END = re.compile(r"[\n，,；;。！？!?]+")
"""Where a line of a transcript, or a clause, ends: the span's text may have joined the lines."""
_LINK = re.compile(r"^\s*(?:但是|而|但|且|并|同时|其后|之后|随后|此外|另外|其中)?\s*")
"""Words that join a clause to the one before it, before its subject: "而诺曼……"."""


def opening_name(clause: str, named: set[str]) -> str | None:
    """The person ``clause`` opens with (its subject: "科尔曼带领球队……"), after a joining word; a name further in
    is an object or a mis-tagged word (jieba's HMM tags "本赛季" as a name) and not judged."""
    plain = simplified(clause)
    link = _LINK.match(plain)
    start = link.end() if link else 0
    return max((name for name in named if plain.startswith(name, start)), key=len, default=None)


def number_of_another_person(question: str, numbers: list[Term], sentence: str) -> str | None:
    """The person whose clause of ``sentence`` holds the claim's ``numbers``, when another clause of ``sentence``
    opens with a person the question asks about, and each clause that holds one opens with a person ``question``
    does not name and does not name that one (the clauses' subjects; jieba tags some plain words as names,
    "本赛季"); None otherwise (a clause without a name, "他完成了 4 次拦截", is not judged)."""
    asked = {simplified(name) for name in person_names(question)}
    wanted = {t.text for t in numbers}
    if not asked or not wanted:
        return None
    parts = clauses(sentence)
    people = [{simplified(name) for name in person_names(part)} for part in parts]
    holding = [k for k, part in enumerate(parts) if wanted & TermIndex.of(part).numbers]
    # the asked people that are the subject of a clause without the numbers ("而诺曼……")
    subjects = {name for j in range(len(parts)) if j not in holding
                if (name := opening_name(parts[j], people[j] & asked)) is not None}
    if not holding or not subjects:
        return None
    others: list[str] = []
    for k in holding:
        opener = opening_name(parts[k], people[k] - asked)
        if opener is None or people[k] & subjects:
            return None
        others.append(opener)
    return others[0]


def term_of_another_person(question: str, claim: str, text: str) -> str | None:
    """The person whose line or clause of ``text`` (the evidence with its line breaks) holds every word ``claim``
    adds to ``question`` (its names and terms beside the question's), when each such clause opens with one person
    the question does not name and names none it does, and an earlier clause of ``text`` names a person the
    question asks about; None otherwise (a clause without a name, "他就读于……", is not judged)."""
    asked = {simplified(name) for name in person_names(question)}
    if not asked:
        return None
    plain_question = simplified(question)
    added = {t.text for t in claimed_terms(claim) if t.strict and simplified(t.text) not in plain_question}
    if not added:
        return None
    parts = [part for part in _SEGMENT_END.split(simplified(text)) if part.strip()]
    people = [{simplified(name) for name in person_names(part)} for part in parts]
    holding = [k for k, part in enumerate(parts) if added & {t.text for t in claimed_terms(part)}]
    if not holding or not any(people[j] & asked for j in range(holding[0])):
        return None
    others: list[str] = []
    for k in holding:
        # a name inside what the claim adds is no subject: "杜兰杜兰乐队" opens "安迪·泰勒，杜兰杜兰乐队的前首席吉他手"
        opener = opening_name(parts[k], {name for name in people[k] - asked if not any(name in t for t in added)})
        if opener is None or people[k] & asked:
            return None
        others.append(opener)
    return others[0]
