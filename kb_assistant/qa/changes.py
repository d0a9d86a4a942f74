"""A change given for a level: "How much did the 11-piece set cost in November?" was answered "The 11-piece set cost
approximately $10 …" from "the 11 piece system went up around $10 or so in price also from the earlier sale price of
$29". The $10 is how much the price rose, not a price; a question that asks for a price, a count or a size is not
answered by the amount something went up or down by, unless it asks about that change."""

from __future__ import annotations

import re

from kb_assistant.cjk import simplified

_ASKS_CHANGE = re.compile(
    r"涨|跌|增|减|降|升|提高|变化|变动|差|多了|少了|多出|少于|多于|超出|相比|比.{0,12}(?:多|少|高|低)"
    r"|\b(?:increas|decreas|ris|rose|grow|grew|drop|fall|fell|went|go(?:ne|es)?|climb|jump|cut|chang|differ|gain|los|"
    r"more|less|fewer|higher|lower|by how much)\w*",
    re.IGNORECASE,
)
"""A question about a change or a difference ("涨了多少", "How much did it rise?", "by how much"): its answer is one."""
_CHANGE_BEFORE = re.compile(
    r"(?:(?:(?:went|go(?:ne|es)?|climbed|jumped|shot|moved) (?:up|down)|rose|risen|rises|increased|decreased|dropped"
    r"|fell|fallen|grew|grown|declined|cut|raised|lowered|gained|lost)(?: by)?"
    r"|涨了|上涨了?|下跌了?|跌了|增加了|减少了|下降了|降低了|提高了|增长了|升高了|多了|少了|涨价|降价)"
    r"\s*(?:(?:about|around|approximately|roughly|nearly|almost|some|over|more than|大约|大概|约|近|将近|超过|了)\s*)?"
    r"[$¥￥€£]?\s*$",
    re.IGNORECASE,
)
"""A change's words right before its amount: "went up around $", "上涨了大约"; "rose to" is a level, said apart below."""
_TO_LEVEL = re.compile(r"\bto\s*(?:about|around|approximately|roughly|nearly|almost|some|over)?\s*[$¥￥€£]?\s*$|到\s*$",
                       re.IGNORECASE)


def change_for_level(question: str, numbers: list[str], sentence: str) -> str | None:
    """The words of ``sentence`` that make each of ``numbers`` (a claim's numbers the question does not hold) the
    amount of a change ("went up around $"), when ``question`` asks for no change; else None."""
    if not numbers or _ASKS_CHANGE.search(simplified(question)):
        return None
    found = None
    for number in numbers:
        places = [m.start() for m in re.finditer(rf"(?<![\d.,]){re.escape(number)}(?![\d])", sentence)]
        if not places:
            return None
        for at in places:
            before = sentence[max(0, at - 40) : at].replace("\\", " ")
            change = _CHANGE_BEFORE.search(before)
            if change is None or _TO_LEVEL.search(before):
                return None  # said as a level somewhere ("rose to $29", "the price of $29")
            found = change.group(0).strip()
    return found
