"""Facts a passage writes in a set form that lacks the word a question asks them by: a native place is written
"四川省资阳县人" (刘德一的籍贯在哪？), and the sentence that says so is about the 籍贯 asked for; another place the
passage names ("……考入重庆市川剧院") is no native place."""

from __future__ import annotations

import re

from kb_assistant.cjk import simplified
from kb_assistant.qa.terms import claimed_terms

_NATIVE_PLACE = re.compile(r"[\u4e00-\u9fff]{1,16}?[省市县州郡区镇乡村府]人(?=[\s(（)），,。；;、：:]|$)")
"""A place's name and 人, with what stands before it in its clause: "四川省资阳县人(今资阳市雁江区)"; not "县人民政府"."""


def words_said_in_set_forms(text: str) -> str:
    """The question words ``text`` says in a set form, one per line (to be added to it); empty when none."""
    return "\n籍贯" if _NATIVE_PLACE.search(simplified(text)) else ""


def other_native_place(question: str, claim: str, passage: str) -> str | None:
    """The native place ``passage`` writes in its set form when ``question`` asks for a 籍贯 and ``claim`` names
    another place: "刘德一的籍贯是重庆市人" from a passage that says "四川省资阳县人" and names 重庆市 elsewhere."""
    if "籍贯" not in simplified(question):
        return None
    places = [match.group(0) for match in _NATIVE_PLACE.finditer(simplified(passage))]
    asked = simplified(question)
    said = [simplified(t.text) for t in claimed_terms(claim) if t.names and simplified(t.text) not in asked]
    if not places or not said or any(all(word in place for word in said) for place in places):
        return None
    return places[0]
