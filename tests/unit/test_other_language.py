"""A question refused for its passages' language is asked again in theirs: which refusals, which translations."""

from __future__ import annotations

import pytest

from kb_assistant.qa.other_language import as_translation, refused_for_language, translation_messages
from kb_assistant.qa.prompts import (
    NOT_FOUND,
    NOT_FOUND_IN_LANGUAGE,
    NOT_FOUND_MOSTLY_IN_LANGUAGE,
    NOT_FOUND_PARTLY_IN_LANGUAGE,
)


@pytest.mark.parametrize("texts", [NOT_FOUND_IN_LANGUAGE, NOT_FOUND_PARTLY_IN_LANGUAGE, NOT_FOUND_MOSTLY_IN_LANGUAGE])
def test_only_a_refusal_that_blames_the_language_asks_again(texts: dict[str, str]) -> None:
    assert refused_for_language("What is empirical error also called?", texts["en"])
    assert refused_for_language("经验误差又称为什么？", texts["zh"])
    assert not refused_for_language("What is empirical error also called?", NOT_FOUND["en"])
    assert not refused_for_language("經驗誤差又稱為什麼？", NOT_FOUND["zh"])


@pytest.mark.parametrize(("question", "reply", "asked"), [
    ("Which labels does the support vector machine use?", "支持向量机使用哪种标签？", "支持向量机使用哪种标签？"),
    ("How much RAM does the assistant need?", "译文：“助手需要多少内存？”", "助手需要多少内存？"),
    ("Who received a bid in 1915?", "谁在 1915 年获得了投标？\n（这是译文）", "谁在 1915 年获得了投标？"),
    ("查准率是什么意思？", "What is the precision rate?", "What is the precision rate?"),
    # the model answered instead of translating: no question to ask
    ("Where was Friedrich Ratzel born?", " Friedrich Ratzel出生于德国。", None),
    ("WHen did ARPNET and SITA become operational", "ARPNET和SITA在2004年1月1日成功上线。", None),
    # a number of the question lost: another question
    ("Who received a bid in 1915?", "谁获得了投标？", None),
    ("2022年上海金融学类的最低分是多少？", "What is the lowest score of finance in Shanghai?", None),
    # a number added: the model's guess at the answer
    ("In what year did ABC stop using its jingle?", "ABC 在 2019 年停止使用它的 jingle 吗？", None),
    # half translated: another question
    ("Which airport is home to the busiest single runway?", "哪个机场是繁忙单 runway中的 busiest机场？", None),
    ("What does Occam's razor say?", "Occam's razor 说了什么？", None),
    ("What does embed_query return in LangChain?", "LangChain 中 embed_query 返回什么？", "LangChain 中 embed_query 返回什么？"),
    # not translated
    ("What is empirical error also called?", "What is empirical error called?", None),
    ("What is empirical error also called?", "", None),
])
def test_a_translation_is_asked_only_when_it_is_a_question_in_the_other_language(question: str, reply: str,
                                                                                  asked: str | None) -> None:
    assert as_translation(reply, question) == asked


def test_the_model_is_shown_translations_not_answers() -> None:
    messages = translation_messages("What is empirical error also called?")
    assert "翻译" in messages[0].content and messages[-1].content == "What is empirical error also called?"
    assert [m.type for m in messages[1:-1]] == ["human", "ai", "human", "ai"]
    assert "Translate" in translation_messages("经验误差又称为什么？")[0].content
