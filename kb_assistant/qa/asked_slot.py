"""What an answer puts where its question asks: "孙德培是中和帮的成立者。" for "孙德培是哪个帮派的成立者？".

The small model answers by saying the question again with its asking words replaced. Where jieba cuts the name it
puts there into words too common to be terms (中和帮: 中 / 和 / 帮), the sentence seemed to say nothing the question
does not and a right answer was refused; the words between the question's own words before and after its asking
phrase are the answer, which a source must hold whole.
"""

from __future__ import annotations

import re

from kb_assistant.cjk import HAN, simplified
from kb_assistant.qa.answer_text import MARKER
from kb_assistant.qa.terms import Term, TermIndex, claimed_terms

_ASKING = re.compile(r"哪|什么|谁|多少|几")
_FILLER = re.compile(r"[\w\u4e00-\u9fff·.-]{2,16}")
"""What may fill the slot: one name or phrase, no clause (no punctuation between words)."""
_ENDS = " \t\n？?。.！!"


def filled_slot(claim: str, question: str) -> list[Term]:
    """The words ``claim`` puts where ``question`` asks, as one term to be found whole, when the claim says the
    question again around them (two of its characters or more kept before and after, or three on one side) and
    jieba's terms of those words are all parts of the question's (中和帮: 帮, of 帮派); else none."""
    asked, said = simplified(question).strip(_ENDS), simplified(MARKER.sub("", claim)).strip(_ENDS)
    before = 0
    while before < min(len(asked), len(said)) and asked[before] == said[before]:
        before += 1
    after = 0
    while (after < min(len(asked), len(said)) - before
           and asked[len(asked) - 1 - after] == said[len(said) - 1 - after]):
        after += 1
    slot, filler = asked[before : len(asked) - after], said[before : len(said) - after]
    anchored = (before >= 2 and after >= 2) or max(before, after) >= 3
    if not anchored or not _ASKING.search(slot) or _ASKING.search(filler) or not _FILLER.fullmatch(filler):
        return []
    index, own = TermIndex.of(question), {t.text for t in claimed_terms(question)}
    terms = claimed_terms(filler)
    # the question's own word again is no answer: "……的步长又叫步长α" for "……的步长又叫什么？"
    if not HAN.search(filler) or not all(index.has(t) for t in terms) or any(t.text in own for t in terms):
        return []
    return [Term(filler, "cjk", True, float(len(filler)))]
