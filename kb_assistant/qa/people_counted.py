"""A count of other people than the question counts.

"中法学院的法语教师有多少人？" was answered "中法学院的法语教师有113人" from "中法学院共有1104名在读学生，其中……法语专业113人":
every word of the claim is in its passage (which speaks of its 法语教师队伍 elsewhere), and the number is a count of
people, but of students. :func:`other_people` sees it: the question counts a group of people (teachers) the
evidence sentence names no word for, and the sentence names another group (students) it counts. So does a
sentence that names the group but not the word the question narrows it by: "超过10位法方合作高校的优秀教师" counts no
法语教师 (French-language teachers).
"""

from __future__ import annotations

import re

from kb_assistant.kb.tokens import jieba_lock
from kb_assistant.qa.chinese_words import tagged_words
from kb_assistant.qa.terms import normalise

_GROUPS: tuple[tuple[str, ...], ...] = (
    ("教师", "老师", "教员", "师资", "教授", "讲师", "teacher", "professor", "faculty", "lecturer", "instructor"),
    ("学生", "本科生", "研究生", "硕士生", "博士生", "留学生", "新生", "毕业生", "学员", "student", "undergraduate",
     "graduate", "pupil"),
    ("员工", "职工", "雇员", "工作人员", "employee", "staff", "worker"),
    ("医生", "医师", "护士", "doctor", "physician", "nurse"),
    ("运动员", "球员", "队员", "选手", "athlete", "player"),
    ("居民", "市民", "人口", "resident", "inhabitant", "population"),
    ("患者", "病人", "patient"),
    ("游客", "乘客", "观众", "访客", "visitor", "passenger", "tourist", "spectator"),
)
"""Groups of people a question counts, each with the words a source names it by."""
_PEOPLE_ASKED_ZH = re.compile(r"(?:多少|几)[人名位个]|人数")
_PEOPLE_ASKED_EN = re.compile(r"\bhow many\b")
_SENTENCE_END = re.compile(r"(?<=[。！？；;])|(?<=[.!?])\s+")


_WORD_PATTERNS = [[(word, re.compile(rf"\b{word}s?\b" if word.isascii() else re.escape(word))) for word in words]
                  for words in _GROUPS]


def _group_words(text: str) -> dict[int, str]:
    """The groups ``text`` (normalised) names, each with the first of its words found."""
    found: dict[int, str] = {}
    for index, patterns in enumerate(_WORD_PATTERNS):
        word = next((word for word, pattern in patterns if pattern.search(text)), None)
        if word is not None:
            found[index] = word
    return found


def other_people(question: str, evidence: str) -> str | None:
    """The group of people ``evidence`` (a sentence or two) counts, when ``question`` asks how many of another group
    ("法语教师有多少人") and each of its sentences with a number names no word of the question's group ("法语专业113人"
    after "1104名在读学生"), or none of the word that narrows it ("外籍" of "外籍教师"); None where the question counts no
    named group or a sentence with a number names it."""
    question, evidence = normalise(question), normalise(evidence)
    if not (_PEOPLE_ASKED_ZH.search(question) or _PEOPLE_ASKED_EN.search(question)):
        return None
    asked = _group_words(question)
    if len(asked) != 1:
        return None
    (group, word), = asked.items()
    narrowed = _narrowing_word(question, word)
    others = [_another_group(group, word, narrowed, sentence)
              for sentence in _SENTENCE_END.split(evidence) if re.search(r"\d", sentence)]
    return others[0] if others and all(others) else None


def _another_group(group: int, word: str, narrowed: str | None, sentence: str) -> str | None:
    named = _group_words(sentence)
    if not named:
        return None
    if group not in named:
        return next(iter(named.values()))
    return f"{named[group]}, not {narrowed}{word}" if narrowed and narrowed not in sentence else None


def _narrowing_word(question: str, word: str) -> str | None:
    """The noun or adjective right before ``word`` in ``question`` that narrows the group ("法语" of "法语教师", "外籍"
    of "外籍教师"); None where ``word`` follows anything else (的, a measure word, a verb: "招收学生") or is not one of
    its words."""
    with jieba_lock:
        words = tagged_words(question)
    for asking, before, (_, plain, _) in zip([("", "", "")] + words, words, words[1:], strict=False):
        if plain == word:
            # "多少/人为/学生" (how many are students) is cut with the count's 人 in an adjective: nothing narrows
            counted = asking[1] in ("多少", "几") and before[1][0] in "人名位个"
            return before[1] if before[2].startswith(("n", "a", "b")) and not counted else None
    return None
