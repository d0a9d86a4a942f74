"""The answer evaluation's figures from per-question records."""

from __future__ import annotations

from typing import Any

from kb_assistant.answer_evaluation import summarise


def _hard_negative(status: str, contains: float) -> dict[str, Any]:
    return {"kind": "hard_negative", "status": status, "seconds": 1.0, "scores": {"contains": contains}}


def test_a_hard_negative_answered_with_its_gold_answer_from_another_passage_is_told_apart_from_an_invented_one() -> None:
    records = [_hard_negative("refused", 0.0), _hard_negative("answered", 1.0), _hard_negative("extractive", 0.0),
               _hard_negative("refused", 0.0)]
    figures = summarise(records)
    assert figures["hard_negative_questions"] == 4
    assert figures["hard_negative_refused"] == 0.5
    assert figures["hard_negative_answered_right"] == 0.25  # the invented one is neither refused nor right
