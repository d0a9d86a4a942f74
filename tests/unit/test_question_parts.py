"""Splitting questions that ask about several things (rules over jieba's parts of speech)."""

from __future__ import annotations

import pytest

from kb_assistant.question_parts import question_parts


@pytest.mark.parametrize(("question", "parts"), [
    ("2020年甲市和乙市的人口分别是多少？", ["2020年甲市的人口是多少", "2020年乙市的人口是多少"]),
    ("《山海行》的编剧和导演是谁？", ["《山海行》的编剧是谁", "《山海行》的导演是谁"]),
    ("2021和2022年的招生人数", ["2021年的招生人数", "2022年的招生人数"]),
    ("2019年和2020年的招生人数", ["2019年的招生人数", "2020年的招生人数"]),
    ("比赛的开始和结束时间是什么时候？", ["比赛的开始时间是什么时候", "比赛的结束时间是什么时候"]),
    # Conjuncts of several words, matched by their shape on both sides of 和.
    ("青年组女子双人3米跳板和男子双人3米跳板冠军分别是谁？",
     ["青年组女子双人3米跳板冠军是谁", "青年组男子双人3米跳板冠军是谁"]),
    # Two names that end with the same word, of different lengths, with 与 inside a name (domainrag_zh's
    # comparisons of two majors; each part used to come out garbled, "计算机科学与软件工程专业").
    ("计算机科学与技术专业和软件工程专业在培养学生方面有哪些相似之处?",
     ["计算机科学与技术专业在培养学生方面有哪些相似之处", "软件工程专业在培养学生方面有哪些相似之处"]),
    ("政治学与行政学专业与外交学专业在研究重点和教育培养方面有哪些区别？",
     ["政治学与行政学专业在研究重点和教育培养方面有哪些区别", "外交学专业在研究重点和教育培养方面有哪些区别"]),
    ("中国人民大学的外交学专业和国际政治学专业有哪些共同点？",
     ["中国人民大学的外交学专业有哪些共同点", "中国人民大学的国际政治学专业有哪些共同点"]),
    # The noun after the second conjunct is the first one's too, unless it already ends alike (经济学 / 统计学).
    ("金融学和金融工程专业在人才培养上有哪些差异？", ["金融学专业在人才培养上有哪些差异", "金融工程专业在人才培养上有哪些差异"]),
    ("经济学和经济统计学在实际应用中各自扮演什么角色？",
     ["经济学在实际应用中扮演什么角色", "经济统计学在实际应用中扮演什么角色"]),
    # A name jieba cuts after its surname (周/nr 明远/a) keeps its surname.
    ("周明远和林晓雯的办公室分别在哪里？", ["周明远的办公室在哪里", "林晓雯的办公室在哪里"]),
    # Two questions in one; the second borrows the first one's title.
    ("《山海行》是什么类型的电影？它的导演是谁？", ["《山海行》是什么类型的电影", "《山海行》的导演是谁"]),
    ("《山海行》的主演有谁，导演是谁？", ["《山海行》的主演有谁", "《山海行》导演是谁"]),
    ("What is the default port? Which file sets it?", ["What is the default port?", "Which file sets it?"]),
    ("Which embedding model is the default, and which package ships it?",
     ["Which embedding model is the default", "which package ships it?"]),
    # A part that only names what it asks for asks it of what the first part asks about.
    ("What port does the server listen on and what address?",
     ["What port does the server listen on", "what address does the server listen on?"]),
])
def test_questions_with_several_parts_are_split(question: str, parts: list[str]) -> None:
    assert question_parts(question) == parts


@pytest.mark.parametrize("question", [
    "周明远的办公室在哪里？",
    "他的分机号呢？",
    "速度与激情的导演是谁",  # 与 inside a title, not a conjunction
    "中国人民大学数学与应用数学专业目前设有几个方向？",  # one major's name
    "如果知识库里没有答案，助手会怎么做？",  # a condition and one question
    "How do I back up and restore the store?",  # one question about two actions
    "",
])
def test_single_questions_stay_whole(question: str) -> None:
    assert question_parts(question) == [question]
