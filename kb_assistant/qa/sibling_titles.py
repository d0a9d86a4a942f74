"""A passage whose title names another of the kind of thing the question asks about: "虫纹阿南鱼" for "青斑阿南鱼的生活习性
是怎样的？", "九龙巴士32M线" for "九龙巴士7号线全程收费多少？". Its sentences rarely repeat the title ("全程：$4.7", "雄鱼……
其头部及胸鳍下方有许多虫状蓝纹"), so the small model answers the question with them and every word it adds is in the
source: the grounding check's word and relevance tests pass it. What the sentence is about is said by the title.
"""

from __future__ import annotations

import functools
import re

from kb_assistant.cjk import HAN
from kb_assistant.kb.tokens import jieba_lock
from kb_assistant.qa.chinese_words import posseg
from kb_assistant.qa.numbered_names import numbered_names, other_numbered
from kb_assistant.qa.terms import asks_or_joins, normalise

_NOT_A_NAME = frozenset("的之和与及在是了个这那该其各每第年月日对从到把被向于为以也都就而或并且等")
"""Characters that do not end a name's own part ("公司的报销流程": 司的 is not what tells one 报销流程 from another)."""
_SECTION_NUMBER = re.compile(
    r"^\s*(?:第[\d一二三四五六七八九十百]+[章节条部分篇]|\d+(?:\.\d+)*[.、]?(?=\s)|\d+[.、]|[一二三四五六七八九十]+、)\s*"
)
""""3.2 分机", "第二章 ", "三、": where a heading sits, not what it names (九龙 is no section)."""
_YEAR = re.compile(r"(?<![\d.])(1[5-9]\d\d|20\d\d)(?![\d.])(?!\s*(?:[米元人个件只公千万亿吨克度%]|m\b|km\b))")
"""A year: a passage titled by another year than the question's ("2021年河北省录取分数线" for "在2022年河北省……") is
about that year."""
_EXTENSION = re.compile(r"\.(?:md|markdown|txt|html?|pdf|docx?|pptx?|xlsx?|csv|json|rst|org)$", re.IGNORECASE)


def passage_title(context: str) -> str:
    """The most specific heading of a passage's ``context`` (``file > heading > heading``), or its file's name
    without the extension when it has no heading; without a section number."""
    last = context.rsplit(" > ", 1)[-1].strip()
    return _SECTION_NUMBER.sub("", _EXTENSION.sub("", last)).strip()


def sibling_title(question: str, context: str, sentence: str, passage: str) -> str | None:
    """The title of ``passage`` when it names another of what the question names, and ``sentence`` (the claim's
    evidence or a quote, a sentence of the passage) does not name the question's own; else None.

    Three ways: the title names years and none is the question's ("2021年河北省录取分数线" for "在2022年河北省的文史专业中……"),
    the title is the question's numbered name with another number ("九龙巴士32M线" for 九龙巴士7号线), or it
    ends with a word of the question (two or more Chinese characters: "阿南鱼") that the question qualifies with a
    noun the passage never says ("青斑") while the title qualifies it otherwise ("虫纹"); a qualifier that abbreviates
    the title's ("伦大" of 伦敦大学学院) is the same. A synonym the passage does not use is lost this way; a passage
    that says the question's qualifier anywhere is never taken for another's."""
    found = _other_title(question, context, passage)
    if found is None:
        return None
    title, own = found
    said = _compact(normalise(sentence))
    return None if any(name in said for name in own) else title


@functools.lru_cache(maxsize=1024)
def _other_title(question: str, context: str, passage: str) -> tuple[str, tuple[str, ...]] | None:
    """``sibling_title`` for the passage as a whole, once per passage and not per sentence: its title and the
    question's numbered names ("九龙巴士7") that a sentence of it must name to be about the question's own."""
    shown = passage_title(context)
    title = normalise(shown)
    if not title:
        return None
    asked_years, title_years = set(_YEAR.findall(question)), set(_YEAR.findall(title))
    if asked_years and title_years and not asked_years & title_years:
        return shown, tuple(sorted(asked_years))  # a sentence that names the question's year is about it
    if other_numbered(question, title) is not None:
        return shown, tuple(_compact(f"{name}{number}") for name, number in numbered_names(question))
    asked = normalise(question)
    if title in asked:
        return None
    text = normalise(f"{context}\n{passage}")
    title_words, asked_words = _words(title), _words(asked)
    for start in range(1, len(title) - 1):
        end = title[start:]
        if start not in title_words or not all(HAN.fullmatch(c) for c in end) or not _names(*title_words[start]):
            continue  # "LangChain 的核心组件" qualifies 核心组件 with nothing but whose they are
        at = asked.find(end)
        if at not in asked_words:  # "林圍牆" of 柏林圍牆 is no word of its own
            continue
        qualifier, flag = asked_words[at]
        if len(qualifier) < 2 or not _names(qualifier, flag) or not flag.startswith("n"):
            return None  # "哪些核心组件", "公司的报销流程", "外蒙古正式独立"
        if qualifier[-2:] in text or _abbreviates(qualifier, title[:start]):
            return None  # the passage says it (and so do its sentences); "伦大学院" is 伦敦大学学院
        return shown, ()
    return None


def _words(text: str) -> dict[int, tuple[str, str]]:
    """Where jieba starts a word in ``text``, with the word before that start and its part of speech."""
    with jieba_lock:
        words = [(w.word, w.flag) for w in posseg().cut(text)]
    before, at, last = {}, 0, ("", "")
    for word, flag in words:
        before[at] = last
        at += len(word)
        last = (word, flag)
    return before


def _names(word: str, flag: str) -> bool:
    """Whether ``word`` may tell one thing from another of its kind: Chinese, and no function or question word."""
    return (bool(word) and all(HAN.fullmatch(c) for c in word) and not asks_or_joins(word)
            and word[-1] not in _NOT_A_NAME and not flag.startswith(("u", "p", "c", "r", "d")))


def _abbreviates(short: str, name: str) -> bool:
    """Whether ``short``'s characters are ``name``'s in the same order ("伦大" of "伦敦大学")."""
    rest = iter(name)
    return all(c in rest for c in short)


def _compact(text: str) -> str:
    return re.sub(r"[\s\-《》「」“”\"]+", "", text).lower()
