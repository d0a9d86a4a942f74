"""A counted kind the answer names in place of the one its source names.

"南瓜书介绍了哪三种模型评估方法？" was answered "南瓜书介绍了三种模型评估方法，即信息增益、增益率、基尼指数……" from "本节介绍的三种划分
选择方法，即信息增益、增益率、基尼指数……": the count and the list are the source's, but the source counts split criteria, not
evaluation methods. Every word of the claim is in the source or in the question, so no other rule sees it.
:func:`relabelled_kind` does: the question counts a kind ("三种模型评估方法") its source does not name, and the source
counts the same number of another kind with the same head noun ("三种划分选择方法") and none of the question's kind's own
characters. Neither a claim resting on it nor a quote of it answers the question.
"""

from __future__ import annotations

import re

from kb_assistant.cjk import simplified

_COUNTED = re.compile(r"([一二两三四五六七八九十\d]{1,3})\s*([种个类项条])\s*([\u4e00-\u9fff]{2,10})")
"""A count, its measure word and the kind it counts: "三种模型评估方法", "两类任务"."""
_HEAD = 2
"""Characters of a kind's head noun (方法, 算法, 任务, 模型): what it is a kind of."""


def relabelled_kind(question: str, evidence: str) -> str | None:
    """The kind ``evidence`` counts, when ``question`` asks for a counted kind ("哪三种模型评估方法") that ``evidence``
    does not name, and ``evidence`` counts as many of another kind with the same head noun ("三种划分选择方法") and
    holds none of the characters the question's kind adds to that head; None otherwise."""
    question, evidence = simplified(question), simplified(evidence)
    counted = _COUNTED.findall(evidence)
    for count, measure, kind in _COUNTED.findall(question):
        # the kind runs on into the rest of the question ("模型评估方法最常用"): the longest start that is one
        for end in range(len(kind), _HEAD, -1):
            asked = kind[:end]
            if asked in evidence:
                break
            head, own = asked[-_HEAD:], asked[:-_HEAD]
            for other_count, other_measure, other in counted:
                other = other[: other.find(head) + _HEAD] if head in other else ""
                if (other and other_count == count and other_measure == measure
                        and not any(char in evidence for char in own)):
                    return f"{other_count}{other_measure}{other}"
    return None
