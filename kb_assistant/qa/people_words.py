"""People an answer names without a name: by kin or friendship ("买给女儿的"), or by what they do ("我的牙科卫生员推荐
了电动牙刷", "my dental hygienist"). Who a gift was for, who came along or who recommended something is often said so,
and such a word answers "谁" as a name does (:func:`kb_assistant.qa.answer_kinds.unnamed_answer`)."""

from __future__ import annotations

import functools

from kb_assistant.kb.tokens import english_root_stem
from kb_assistant.qa.terms import Term

_PEOPLE_ZH = frozenset((
    "女儿", "儿子", "妻子", "丈夫", "父亲", "母亲", "爸爸", "妈妈", "父母", "哥哥", "姐姐", "弟弟", "妹妹", "兄弟", "姐妹", "孩子", "儿女", "子女", "祖父",
    "祖母", "爷爷", "奶奶", "外公", "外婆", "孙子", "孙女", "家人", "朋友", "好友", "男友", "女友", "未婚妻", "未婚夫", "老公", "老婆", "侄子", "侄女",
    "叔叔", "阿姨", "舅舅", "姑姑", "伯父", "岳父", "岳母", "女婿", "儿媳",
    "同事", "邻居", "室友", "医生", "牙医", "护士", "教授", "教练", "客服", "店员", "司机", "保姆", "房东",
))
_OCCUPATION_ENDINGS_ZH = ("卫生员", "人员", "店员", "工程师", "律师", "厨师", "医师", "药剂师", "老师", "教师", "导师")
"""What a person who does a job is called, whatever the job before it: 牙科卫生员, 工作人员, 软件工程师."""
_PEOPLE_EN = ("daughter", "son", "wife", "husband", "father", "mother", "parents", "brother", "sister", "child",
              "children", "friend", "grandfather", "grandmother", "family", "girlfriend", "boyfriend",
              "colleague", "neighbor", "neighbour", "roommate", "doctor", "dentist", "hygienist", "nurse", "lawyer",
              "teacher", "professor", "coach", "pharmacist", "therapist", "mentor")


def names_someone_unnamed(terms: list[Term]) -> bool:
    """Whether ``terms`` (an answer's, not its question's) name someone by kin, friendship or occupation."""
    return any(_a_person_zh(t.text) if t.kind == "cjk" else t.text in _people_en() for t in terms)


def _a_person_zh(word: str) -> bool:
    return word in _PEOPLE_ZH or word.endswith(_OCCUPATION_ENDINGS_ZH)


@functools.cache
def _people_en() -> frozenset[str]:
    stem = english_root_stem()
    return frozenset(stem(word) for word in _PEOPLE_EN)
