"""Right answers that say the question again with the answer in it, from cmrc2018_dev's tenth fresh hundred: each was
refused (or replaced by a wrong quote) before, and a wrong one of the same form still is."""

from __future__ import annotations

from kb_assistant.qa.asked_slot import filled_slot
from kb_assistant.qa.grounding import GroundingCheck, Passage

GANG = [Passage("孙德培，中和帮的成立者。1953年左右，孙德培在现在新北市中和区、永和区一带成立中和帮，当时的成员只有十几人。"
                "当时台北势力最大的黑社会组织是四海帮，也是外省挂帮派中势力最大的。而当时四海帮也是中和帮的主要敌人。", "孙德培")]


def test_a_name_jieba_cuts_into_common_words_is_the_answer_in_the_asked_place(embeddings: object) -> None:
    """"中和帮" is cut 中 / 和 / 帮, none of them a term: "孙德培是中和帮的成立者。" seemed to say nothing the question does
    not, and a sentence on 四海帮 was quoted instead."""
    assert [t.text for t in filled_slot("孙德培是中和帮的成立者[1]。", "孙德培是哪个帮派的成立者？")] == ["中和帮"]
    assert filled_slot("刘德一的籍贯是四川省资阳县人。", "刘德一的籍贯在哪？") == []  # jieba's words hold it
    check = GroundingCheck(embeddings)
    verdict = check.check("孙德培是哪个帮派的成立者？", "孙德培是中和帮的成立者。", GANG)
    assert verdict.status == "answered" and "中和帮" in verdict.answer, verdict.answer
    made_up = check.check("孙德培是哪个帮派的成立者？", "孙德培是中华帮的成立者。", GANG)
    assert "中华帮" not in made_up.answer, made_up.answer


def test_a_native_place_written_as_its_people_answers_the_question_of_origin(embeddings: object) -> None:
    """"籍贯" is a word no passage writes: "四川省资阳县人" says it."""
    passages = [Passage("刘德一（），原名刘德益，四川省资阳县人(今资阳市雁江区)，已故著名演员，巴蜀十大笑星之一。"
                        "刘德一于1957年考入重庆市川剧院训练班学艺。", "刘德一")]
    verdict = GroundingCheck(embeddings).check("刘德一的籍贯在哪？", "刘德一的籍贯是四川省资阳县人。", passages)
    assert verdict.status == "answered" and "四川省资阳县" in verdict.answer, verdict.answer
    wrong = GroundingCheck(embeddings).check("刘德一的籍贯在哪？", "刘德一的籍贯是重庆市人。", passages)
    assert "重庆市人" not in wrong.answer, wrong.answer


def test_a_number_given_to_what_the_question_asks_of_its_subject_is_the_subjects(embeddings: object) -> None:
    """"FIPS代码的含义是5个数字组成……" gives the number to 含义, which "FIPS代码是由5个数字组成" does not write: the number was
    said to be of something else."""
    passages = [Passage("佛蒙特州每个县都有自己的联邦资料处理标准代码（简称FIPS代码）。FIPS代码是由5个数字组成，首两个数字是"
                        "州份的代码，而后三个数字则是县份的代码。", "佛蒙特州行政区划")]
    draft = "FIPS代码的含义是5个数字组成，首两个数字是州份的代码，而后三个数字则是县份的代码。"
    verdict = GroundingCheck(embeddings).check("FIPS代码的含义是什么？", draft, passages)
    assert verdict.status == "answered" and "首两个数字是州份的代码" in verdict.answer, verdict.answer


def test_numbers_from_the_clause_beside_the_asked_one_are_not_its_numbers(embeddings: object) -> None:
    """The latitude clause shares one number (40) with the longitude the draft gave for it: it was taken for a clause
    that holds the claim's numbers, and the draft was kept."""
    passages = [Passage("宝山镇位于辽宁省凤城市西南部，所跨经度范围为东经123 °40 ′13 ″—123 °57 ′12 ″，所跨纬度范围为北纬"
                        "40 °15 ′37 ″—40 °30 ′40 ″。镇政府驻地红旗堡，距凤城市22公里。", "宝山镇 (凤城市)")]
    draft = "宝山镇所跨的纬度范围是东经123 °40 ′13 ″—123 °57 ′12 ″。"
    verdict = GroundingCheck(embeddings).check("宝山镇所跨的纬度范围是多少？", draft, passages)
    assert verdict.status != "answered" and "123 °40" not in verdict.answer.split("北纬")[-1], verdict.answer
    assert "北纬40 °15 ′37 ″" in verdict.answer or verdict.status == "refused", verdict.answer
    right = GroundingCheck(embeddings).check("宝山镇所跨的纬度范围是多少？",
                                             "宝山镇所跨的纬度范围是北纬40 °15 ′37 ″—40 °30 ′40 ″。", passages)
    assert right.status == "answered", right.answer
