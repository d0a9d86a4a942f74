"""A number read from another person's clause of the source is not the asked person's."""

from __future__ import annotations

from kb_assistant.qa.grounding import GroundingCheck, Passage
from kb_assistant.qa.person_clauses import number_of_another_person, term_of_another_person
from kb_assistant.qa.terms import Term, claimed_terms

TEAM = "球队的后卫有王强和李明，王强本赛季完成了 12 次抢断并贡献了 31 次助攻，而李明完成了五次封盖。"
"""李明's count in words, as the source that misled the model wrote it ("而诺曼……完成了四次拦截"): no other clause
holds a number in digits, so the rule for a number beside the asked one does not see it."""


def _numbers(text: str) -> list[Term]:
    return [t for t in claimed_terms(text) if t.kind == "number"]


def test_a_number_in_another_persons_clause_is_that_persons() -> None:
    assert number_of_another_person("李明完成了多少次封盖？", _numbers("12 次"), TEAM) == "王强"
    assert number_of_another_person("王强完成了多少次抢断？", _numbers("12 次"), TEAM) is None  # his own clause
    assert number_of_another_person("李明完成了多少次封盖？", _numbers("31 次"), TEAM) == "王强"


def test_a_clause_that_goes_on_about_the_same_person_is_not_judged() -> None:
    # the second clause has no subject of its own: 李明 of the first one is its subject
    carried = "李明本赛季表现出色，在对阵王强的比赛中完成了 5 次封盖。"
    assert number_of_another_person("李明完成了多少次封盖？", _numbers("5 次"), carried) is None
    # a question that names nobody is not judged
    assert number_of_another_person("这支球队完成了多少次抢断？", _numbers("12 次"), TEAM) is None


def test_the_check_quotes_the_sentence_instead_of_the_other_persons_number() -> None:
    check = GroundingCheck()
    passages = [Passage(TEAM, "球队 > 本赛季"), Passage("球队的主场在城东体育馆。", "球队 > 场馆")]
    wrong = check.check("李明完成了多少次封盖？", "李明完成了 12 次封盖[1]。", passages)
    assert "12 次封盖" not in wrong.answer and "五次封盖" in wrong.answer  # the sentence is quoted
    assert any("another person" in c.reason for c in wrong.claims)
    # a question that counts nothing: only the person tells the number is not his
    record = check.check("李明本赛季的表现如何？", "李明本赛季贡献了 31 次助攻[1]。", passages)
    assert "31 次助攻" not in record.answer or record.status == "extractive"
    right = check.check("王强完成了多少次抢断？", "王强完成了 12 次抢断[1]。", passages)
    assert right.status == "answered" and right.answer.startswith("王强完成了 12 次抢断")


AUTHORS = ("下面去介绍每个作者\n我是王奇\n目前就留于中国科研院大学\n引用方向是深度学习、静态视觉以及数据挖掘\n杨玉云目前就读于清华大学\n"
           "他的引用方向为\n时空数据挖掘、智能冲砍系统以及深度学习\n张记目前就读于北京大学\n他的引用方向为强化学习记忆人")
"""A talk's transcript (speech to text, one line a caption): "王奇目前在哪所学校就读？" was answered "王奇目前就读于清华大学"."""


def test_a_name_in_another_persons_line_is_that_persons() -> None:
    question = "王奇目前在哪所学校就读？"
    assert term_of_another_person(question, "王奇目前就读于清华大学。", AUTHORS) == "杨玉云"
    assert term_of_another_person(question, "王奇目前就读于中国科研院大学。", AUTHORS) is None  # his own line
    assert term_of_another_person("杨玉云目前在哪所学校就读？", "杨玉云目前就读于清华大学。", AUTHORS) is None
    # two people who share the clause: the name is both of theirs
    assert term_of_another_person("王奇在哪所学校就读？", "王奇就读于清华大学。", "王奇和杨玉云都就读于清华大学。") is None
    # what the claim adds may open its clause: it is no other person ("杜兰" is tagged as a name)
    assert term_of_another_person("纽卡斯尔本地人安迪·泰勒是哪个乐队的前首席吉他手?", "安迪·泰勒， 杜兰杜兰乐队 的前首席吉他手[1]。",
                                  "安迪·泰勒， 杜兰杜兰乐队 的前首席吉他手，1961年出生于这里。") is None
    assert term_of_another_person("李明在哪所大学读书？", "李明在清华大学读书。",
                                  "李明在北京大学读书，而王芳在清华大学读书。") == "王芳"


def test_the_check_does_not_give_another_persons_school() -> None:
    verdict = GroundingCheck().check("王奇目前在哪所学校就读？", "王奇目前就读于清华大学[1]。",
                                     [Passage(AUTHORS, "强化学习入门指南")])
    assert "清华大学" not in verdict.answer and any("another person" in c.reason for c in verdict.claims)
    right = GroundingCheck().check("杨玉云目前在哪所学校就读？", "杨玉云目前就读于清华大学[1]。", [Passage(AUTHORS, "强化学习入门指南")])
    assert right.status == "answered"
