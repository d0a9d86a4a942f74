"""A name the answer took from another sentence of its passage than the one that says what the question asks.

The small model splices: "美国首位诺贝尔经济学奖得主是？" was answered "……是乔治·斯蒂格勒" from a list of alumni whose item
"保罗·萨缪尔森 ，诺贝尔经济学奖首位美国得主；" says what is asked (:func:`item_of_another_person`); "……西南大區駐地設於哪個都市?"
was answered 成都, the city of the sentence before the one that says "西南大區駐地亦設在重慶" (:func:`names_elsewhere`). Every word of such an answer is
in the passage, and the passage is about the question. The grounding check quotes the sentence that says it instead
(:data:`kb_assistant.qa.other_things.OTHER_SENTENCE`).
"""

from __future__ import annotations

import re

from kb_assistant.cjk import simplified
from kb_assistant.qa.chinese_words import person_names
from kb_assistant.qa.evidence import Span, clearly_better
from kb_assistant.qa.number_clauses import MIN_GAIN
from kb_assistant.qa.person_clauses import opening_name
from kb_assistant.qa.spelled_numbers import in_digits
from kb_assistant.qa.terms import Term, TermIndex, claimed_terms


def added_names(question: str, claim: str) -> list[Term]:
    """The names (not numbers, nor counts spelled in words: "两层") ``claim`` adds to ``question``; a name the question
    has in another form (上海市 or 浙江省 for 上海, 浙江) is the question's."""
    asked, own = TermIndex.of(question), [t.text for t in claimed_terms(question) if len(t.text) >= 2]
    return [t for t in claimed_terms(claim) if t.names and t.kind != "number" and not asked.has_near(t)
            and not any(word in t.text for word in own) and in_digits(simplified(t.text)) is None]


def names_elsewhere(question: str, claim: str, span: Span, sentences: list[tuple[str, int, int]], heading: str) -> bool:
    """Whether none of the names ``claim`` adds to ``question`` is in its evidence ``span`` (or the sentence before,
    where the span opens with a word that points back to it, or the one after that points back to the span;
    ``sentences``: its passage's; ``heading``: where the
    passage sits, which names what it is about for every sentence), nor in a sentence that names anything else the
    question asks about: the evidence is the sentence that holds most of the claim's words, which are the question's,
    and the name came from elsewhere in the passage ("國民政府由重慶遷往成都" names only a year of the question's)."""
    added = added_names(question, claim)
    if not added or span.text.lstrip().startswith("|"):  # a table row: which row and column is the table rules' call
        return False
    before = [text for text, _, end in sentences if end <= span.start][-1:] if _POINTS_BACK.match(span.text) else []
    after = [text for text, start, _ in sentences if start >= span.end][:1]
    # "Today, this is known as the Miasma theory."; a piece after a semicolon is the same sentence's
    after = after if after and (_POINTS_BACK.match(after[0]) or span.text.rstrip().endswith((";", "；"))) else []
    near = TermIndex.of(" ".join([heading, *before, span.text, *after]))
    if any(near.has_near(t) for t in added):
        return False
    # a sentence that names it and something the question asks about (not only a year) is where the claim stands, in
    # other words than the question's: "The results revealed that NASA was the most popular department with a
    # satisfaction rating of 95%" for "NASA had the highest satisfaction rating in the government survey"
    asked = [t for t in claimed_terms(question) if t.kind != "number" and not (t.kind == "cjk" and len(t.text) == 1)]
    for text, _, _ in sentences:
        index = TermIndex.of(text)
        if any(index.has_near(t) for t in added) and any(index.has(t) for t in asked):
            return False
    return True


_POINTS_BACK = re.compile(r"\W*(?:[A-Za-z]{1,12}\s+|[^\s,，。.]{1,12}[,，]\s*)?(?:他|她|它|其|该|該|此|这|這"
                          r"|(?:he|she|it|its|they|their|this|these|the latter)\b)", re.IGNORECASE)
"""A sentence that opens (after a short adverbial: "Today, this …", "initially it …", "如今，这……") with a word pointing
back."""


def item_of_another_person(question: str, asked: list[Term], claim: str, span: Span,
                           sentences: list[tuple[str, int, int]]) -> Span | None:
    """The sentence of the evidence's passage (``sentences``; ``span`` the evidence) that opens with another person
    than the one ``claim`` adds to ``question``, and holds clearly more (``MIN_GAIN``) of the words that tell the
    passage's person-led sentences apart (``asked``: the question's weighted terms) than the sentence that opens with
    the claim's person: the claim took its name from another item of a list. None otherwise. Only items that open
    with a person are compared: any sentence that names something holds more of a many-sided question's words than
    the one the answer rests on ("定义两个函数：① embed_query……" and the sentence on what each returns)."""
    question_names = {simplified(n) for n in person_names(question)}
    added = {name for name in _people(claim) - question_names if name not in simplified(question)}
    # the claim's item: the sentence that opens with its person (the evidence found for the whole claim may be the
    # item that holds the question's words instead)
    own = next((i for i, (text, _, _) in enumerate(sentences) if opening_name(text, added) is not None), None)
    if not added or own is None:
        return None
    items = [i for i, (text, _, _) in enumerate(sentences) if i != own and not added & _people(text)
             and opening_name(text, _people(text) - question_names) is not None]
    mine, theirs = TermIndex.of(sentences[own][0]), [TermIndex.of(sentences[i][0]) for i in items]
    best = clearly_better(asked, [mine, *theirs], [mine], theirs, MIN_GAIN)
    if best is None:
        return None
    text, start, end = sentences[items[best]]
    return Span(span.number, text, start, end)


def _people(text: str) -> set[str]:
    return {simplified(name) for name in person_names(text)}
