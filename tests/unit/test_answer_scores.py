"""How an answer is scored against the gold answers of a dataset (``eval --answers``)."""

from __future__ import annotations

from kb_assistant.evaluation import answer_scores


def test_punctuation_of_any_script_and_citation_marks_do_not_decide_a_match() -> None:
    assert answer_scores("最终比分是 23-16[1]。", ["23–16"])["contains"] == 1.0  # en dash against hyphen
    assert answer_scores("The final score was 23-16 [1].", ["23–16"])["contains"] == 1.0
    assert answer_scores("他来自「北京」[2]。", ["“北京”"])["contains"] == 1.0
    assert answer_scores("比分是 23-17[1]。", ["23–16"])["contains"] == 0.0
    # "[1]" is no digit of the answer: "2316" + "1" would contain "161"
    assert answer_scores("比分是 23-16[1]。", ["161"])["contains"] == 0.0


def test_spaces_in_chinese_are_layout() -> None:
    assert answer_scores("奥巴马于2015年7月访问了肯尼亚[1]。", ["2015 年 7 月"])["contains"] == 1.0
    assert answer_scores("约有 5.15亿年", ["5.15亿年"])["exact_match"] == 0.0
    assert answer_scores("5.15 亿年", ["5.15亿年"])["exact_match"] == 1.0
    # English words stay words: "black and white" is not in "blackandwhite"
    assert answer_scores("It is blackandwhite.", ["black and white"])["contains"] == 0.0
