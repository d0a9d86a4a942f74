"""Words of a question that the sentence answering it need not hold (:func:`kb_assistant.qa.evidence.sentence_scores`
counts them only where it does).

- The word naming the kind of the answer: "蘑菇书这个名字寓意的是哪个游戏**角色**？", "Which reinforcement learning
  **algorithm** does the talk mention?". The sentence that gives the answer names the thing ("蘑菇书真的寓意是玛里奥"),
  seldom its kind (in Chinese only: English words weigh alike, and leaving one out moves a quote's share too much).
- A word that stands for the name before it: "蘑菇书这个**名字**寓意的是……", "RAG 这一**术语**".
- The word for who speaks in a first-person text: "电动牙刷是谁推荐给**评论者**的？" of a review that says "我的牙科卫生员推荐了
  电动牙刷": the reviewer is the review's 我."""

from __future__ import annotations

import re

from kb_assistant.cjk import HAN_RUNS
from kb_assistant.kb.tokens import jieba_lock
from kb_assistant.qa.chinese_words import tagged_words

_NOT_ASKING_ZH = ("哪里", "哪儿", "哪怕")
_BETWEEN_ZH = ("a", "b", "d", "m", "q", "uj", "v", "vn")
"""Parts of speech that may stand between the interrogative and the kind's noun: "什么受欢迎的插件", "哪座城市"."""
_AUXILIARY = r"do|does|did|is|are|was|were|has|have|had|can|could|will|would"
_ENGLISH_KIND = re.compile(
    rf"\bwhich\s+((?:[A-Za-z][\w-]*\s+){{0,3}}?[A-Za-z][\w-]*)\s+(?=(?:{_AUXILIARY}|for|of|in|on|from|by|to|with|at)\b)",
    re.IGNORECASE,
)
"""A noun phrase after which, before a verb or a preposition. Not after what: "What type of plea is …" would let a
sentence about neither plea nor type be quoted, English words weighing alike."""
_NOT_A_KIND_EN = frozenset(("year", "years", "kind", "type", "sort", "name", "names", "one", "ones", "goal", "goals",
                            "purpose", "aim", "reason", "effect", "impact", "role", "feature", "features", "problem",
                            "thing", "things", "time", "company", "brand", "organization", "organisation", "university",
                            "college", "school", "team", "agency", "department", "institution"))
_NOT_A_KIND_ZH = frozenset(("时候", "时间", "特点", "特征", "目的", "目标", "意义", "作用", "影响", "原因", "问题", "内容", "东西",
                            "事情", "情况", "名字", "名称", "公司", "品牌", "机构", "组织", "单位", "学校", "大学", "学院", "团队",
                            "部门", "球队", "乐队", "政党", "厂商", "银行", "医院", "出版社", "网站", "平台"))
"""Nouns that say what is asked of a thing, not the kind of thing that answers: a sentence that gives a goal or a
feature seldom names it so, and neither does one about something else ("What goal do many of these protests
have?", "机场线车站的设计有什么特点？" were quoted with sentences about neither). And a name, or an institution's kind, which
its members' names most often hold (美的公司, 清华大学) and which a sentence that names no one does not ("台灯评论中的公司叫
什么名字？" had its right answer "Lumina" replaced by a quote on how the company cares for its customers)."""


def kind_words(question: str, which_only: bool = False) -> list[str]:
    """The nouns of ``question`` that name the kind of thing it asks for: the last noun after 哪 + a measure (哪个,
    哪座, 哪场) or 什么 (its modifiers before it stay asked: 游戏 of 游戏角色), and in English the last word after which
    before the verb or preposition that follows. Empty when it names none ("什么是 RAG？", "What is …?"). ``which_only``:
    after 哪 only (a choice among things of the kind; "什么型号的显卡" asks for something a sentence without 型号 seldom says)."""
    found = [match.group(1).split()[-1] for match in _ENGLISH_KIND.finditer(question)]
    found = [word for word in found if word.lower() not in _NOT_A_KIND_EN]
    for run in HAN_RUNS.findall(question):
        with jieba_lock:
            words = tagged_words(run)
        for i, (_, plain, _) in enumerate(words):
            if not (plain.startswith("哪") and not plain.startswith(_NOT_ASKING_ZH)) and (which_only or plain not in ("什么", "何种")):
                continue
            noun = None
            for written, plain_word, flag in words[i + 1 : i + 5]:
                if plain_word in _NOT_A_KIND_ZH:  # "什么时候投入使用": 时候 asks when, and what follows is no kind
                    noun = None
                    break
                if flag in ("n", "ns") and (noun is None or flag == "n"):
                    # the first run of nouns, its last of two characters or more: 游戏角色, 河流 of "哪条河流经"
                    noun = written if len(written) >= 2 else noun
                elif noun is not None or not flag.startswith(_BETWEEN_ZH):
                    break
            if noun is not None:
                found.append(noun)
    return found


_PLACEHOLDER = re.compile(r"(?:这个|这一|此)(名字|名称|词语|词|概念|术语|说法|称呼|名词)")


def placeholder_words(question: str) -> list[str]:
    """The words of ``question`` that stand for the name before them ("蘑菇书这个名字" is 蘑菇书): a source that says
    what the name means names it, not the word 名字."""
    return [match.group(1) for match in _PLACEHOLDER.finditer(question)]


NARRATORS = frozenset(("评论者", "评论人", "评价者", "买家", "顾客"))
"""Chinese words for who speaks in a review told in the first person (English terms are stems, and "review" of
"reviewer" would take in every question about a review)."""


def speaks_in_first_person(text: str) -> bool:
    """Whether ``text`` speaks in the first person (我), as a Chinese review's own sentences do."""
    return "我" in text
