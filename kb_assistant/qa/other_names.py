"""A name the source gives under another label than the one asked: "铜锣湾电车厂的前称叫什么？" was answered "……的前称叫霎东
街电车厂" from "铜锣湾电车厂，又名霎东街电车厂（前称罗素街电车厂）". The answer takes 前称 from the question, which the check
does not look for in the source, and the name is there; but the source says it under 又名 (also called), and gives
前称 (formerly called) to another name.
"""

from __future__ import annotations

import re

from kb_assistant.cjk import simplified

_LABELS = ("曾用名", "前称", "原名", "旧称", "旧名", "原称", "又名", "又称", "别名", "别称", "简称", "全称", "俗称", "本名", "学名",
           "英文名", "昵称", "今称", "现名", "古称")
_BEFORE = re.compile(r"(?:叫做|叫作|称为|叫|是|为|：|:|\s)*$")


def other_name_label(question: str, claim: str, sentence: str) -> str | None:
    """The label ``sentence`` gives the name ``claim`` answers with, when ``question`` asks for the name under one
    label ("前称") and the sentence gives that label to another name while the claim's name stands under its own
    label ("又名霎东街电车厂"); else None."""
    question, claim, sentence = simplified(question), simplified(claim), simplified(sentence)
    asked = next((label for label in _LABELS if label in question), None)
    if asked is None or asked not in sentence:
        return None
    at = claim.find(asked)
    if at < 0:
        return None
    rest = claim[at + len(asked) :]
    value = re.split(r"[，。；、,;.!?！？\[\]（）()]", rest[len(rest) - len(rest.lstrip("叫做作称为是：: ")) :], maxsplit=1)[0]
    if len(value) < 2:
        return None
    for found in re.finditer(re.escape(value), sentence):
        before = _BEFORE.sub("", sentence[max(0, found.start() - 8) : found.start()])
        label = next((label for label in _LABELS if before.endswith(label)), None)
        if label == asked or label is None:
            return None
        return label
    return None
