"""A name the source gives under another label than the one asked: "铜锣湾电车厂的前称叫什么？" was answered "……的前称叫霎东
街电车厂" from "铜锣湾电车厂，又名霎东街电车厂（前称罗素街电车厂）". The answer takes 前称 from the question, which the check
does not look for in the source, and the name is there; but the source says it under 又名 (also called), and gives
前称 (formerly called) to another name.

A question for what else a thing is called ("梯度下降法中的步长又叫什么？") is answered by a sentence that gives a name
(:func:`gives_no_other_name`).
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


_ASKS_ALIAS_ZH = re.compile(r"(?:又|也|还|亦|另)(?:被)?(?:叫|称|名)(?:作|做|为)?(?:什么|啥|何)"
                            r"|(?:别名|别称|又名|另一个名字|另一个名称|其他名字|其他名称)(?:是|叫|为)?(?:什么|啥|哪)")
_ASKS_ALIAS_EN = re.compile(r"\b(?:also|otherwise)\s+(?:called|known|named|termed|referred)\b"
                            r"|\banother\s+name\b|\bother\s+names?\b|\balias\b", re.IGNORECASE)
_GIVES_ALIAS_ZH = re.compile(r"(?:又|也|亦|还|或|俗|简|别|通|统)(?:被)?(?:叫|称|名)|称为|称作|叫做|叫作|名为|[即或][“\"「]")
_GIVES_ALIAS_EN = re.compile(r"\b(?:called|known|named|termed|referred|aka|i\.e\.|or|alias|name)\b|[(\"“]",
                             re.IGNORECASE)


def gives_no_other_name(question: str, sentence: str) -> bool:
    """Whether ``question`` asks what else something is called ("梯度下降法中的步长又叫什么？", "What is X also called?")
    and ``sentence`` says nothing that gives a name (又称, 也叫, 称为, 或“…”; called, known as, or): "……长度可以由步长α
    调节" names the step size, not its other name "学习率"."""
    question = simplified(question)
    if _ASKS_ALIAS_ZH.search(question):
        return not _GIVES_ALIAS_ZH.search(simplified(sentence))
    if _ASKS_ALIAS_EN.search(question):
        return not _GIVES_ALIAS_EN.search(sentence)
    return False
