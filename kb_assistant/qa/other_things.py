"""Evidence that is about another thing than the question asks about, though every word of the claim is in it and
it is about the question's topic: another label or table column, a year that labels a column, another number of a
numbered name, a longer title or a sibling article, a deputy or a former holder for the head, a name under another
label, another counted kind, a version of its day for the latest, a name or number from another person's line or
clause, a name from another sentence than the one that says what is asked, a number from beside the one asked
for, a count of things for a count of people, said of another subject, the amount of a change for a level, or a
rate per something the question does not count by. The grounding check
(:mod:`kb_assistant.qa.grounding`) asks :func:`said_of_another_thing` of each claim whose evidence it found.
"""

from __future__ import annotations

from collections.abc import Sequence

from kb_assistant.qa.answer_kinds import asks_for_number, asks_when
from kb_assistant.qa.asked_years import sentence_of_the_year, year_from_another_sentence
from kb_assistant.qa.changes import change_for_level
from kb_assistant.qa.claims import Claim
from kb_assistant.qa.counted_kinds import relabelled_kind
from kb_assistant.qa.deputy_roles import other_role, unsaid_role
from kb_assistant.qa.evidence import Passage, Span
from kb_assistant.qa.latest import unsaid_latest
from kb_assistant.qa.list_items import other_item
from kb_assistant.qa.name_sentences import item_of_another_person, names_elsewhere
from kb_assistant.qa.number_clauses import (
    counted_by_measure_elsewhere,
    counted_elsewhere,
    counts_other_kind,
    measured_for_count,
    measured_otherwise,
    number_from_other_clause,
    rate_of_another,
    said_of_another,
)
from kb_assistant.qa.numbered_names import other_numbered, other_title
from kb_assistant.qa.other_names import other_name_label
from kb_assistant.qa.parallel_clauses import name_after_the_asked_clause, name_from_parallel_clause
from kb_assistant.qa.people_counted import other_people
from kb_assistant.qa.person_clauses import number_of_another_person, term_of_another_person
from kb_assistant.qa.quotes import Scores, answers_as_asked
from kb_assistant.qa.set_forms import other_native_place
from kb_assistant.qa.sibling_titles import sibling_title
from kb_assistant.qa.table_cells import labelled_for_another, other_label, time_from_header
from kb_assistant.qa.terms import Term

OTHER_CLAUSE = "its number is in a clause about something else than what is asked"
"""The number stands in a clause that lacks the question's words another clause beside it holds, with a number
(:mod:`kb_assistant.qa.number_clauses`): that clause's sentence is quoted."""
OTHER_SENTENCE = "its name is not in the sentence that says what is asked"
"""The name the answer adds stands elsewhere in its passage than the sentence that says what is asked
(:mod:`kb_assistant.qa.name_sentences`): that sentence is quoted."""
OTHER_PARALLEL = "its name is in a clause beside the one the question points to"
""""裸子植物采用1978年秦仁昌系统" from "……蕨类植物采用1978年秦仁昌系统，裸子植物采用1978年郑万钧系统……"
(:func:`kb_assistant.qa.parallel_clauses.name_from_parallel_clause`)."""
OTHER_YEAR = "it gives another year than the question's, which another sentence names"
""""《新的长征，新的战斗》于1980年被评为优秀群众歌曲" for "哪一部歌曲获1964年全国群众歌曲一等奖？"
(:func:`kb_assistant.qa.asked_years.sentence_of_the_year`); or a year said of another thing, put beside the words of the
sentence that answers (:func:`kb_assistant.qa.asked_years.year_from_another_sentence`)."""
MOVED = {OTHER_CLAUSE: "number", OTHER_SENTENCE: "name", OTHER_PARALLEL: "name", OTHER_YEAR: "year"}
"""Why a claim's evidence was moved to the sentence that holds what is asked (quoted instead), and what was moved."""
OTHER_KIND = "its number counts something else in its source"
""""招生计划有8人" from "A+学科数量为8个" (:func:`kb_assistant.qa.number_clauses.counts_other_kind`); "一共有24集" from
"24 小时以内" (:func:`kb_assistant.qa.number_clauses.measured_for_count`); "工作了 45 年" from "45％的员工"
(:func:`kb_assistant.qa.number_clauses.measured_otherwise`); "法语教师有113人" from "1104名在读学生，其中……法语专业113人"
(:func:`kb_assistant.qa.people_counted.other_people`)."""
OTHER_SUBJECT = "its number is said of something else in its source"
""""默认的向量模型是 300 个……" from "默认的文本块大小是 300 个向量模型的 token" (:func:`kb_assistant.qa.number_clauses.said_of_another`)."""
OTHER_ROLE = "its source names another role or name than the one asked about"
""""……的院长是钱宗鑫" from "财政金融学院副院长、教授钱宗鑫" (:func:`kb_assistant.qa.deputy_roles.other_role`); "……的前称叫霎东街
电车厂" from "又名霎东街电车厂（前称罗素街电车厂）" (:func:`kb_assistant.qa.other_names.other_name_label`); "……的作者是 LangChain"
from a passage that says nothing of who wrote it (:func:`kb_assistant.qa.deputy_roles.unsaid_role`); "……的籍贯是重庆市人" from a
passage that writes "四川省资阳县人" (:func:`kb_assistant.qa.set_forms.other_native_place`)."""
RELABELLED = "its source counts another kind than the one asked about"
""""南瓜书介绍了三种模型评估方法，即信息增益……" from "本节介绍的三种划分选择方法，即信息增益……"
(:func:`kb_assistant.qa.counted_kinds.relabelled_kind`)."""
NOT_SAID_LATEST = "its source does not say it is the latest"
""""LangChain 的最新版本是 v0.3" from "2024 年 9 月 16 日，LangChain 正式发布了其稳定版本 v0.3"
(:func:`kb_assistant.qa.latest.unsaid_latest`)."""
OTHER_PERSON = "its number stands in another person's clause of its source"
""""约什·诺曼拦截了 88 次擒抱" from "……，科尔曼……贡献了 88 次擒抱，而诺曼……完成了四次拦截"
(:func:`kb_assistant.qa.person_clauses.number_of_another_person`)."""
OTHER_PERSON_TERM = "what it adds stands in another person's line or clause of its source"
""""王奇目前就读于清华大学" from "我是王奇 / 目前就留于中国科研院大学 / …… / 杨玉云目前就读于清华大学"
(:func:`kb_assistant.qa.person_clauses.term_of_another_person`)."""
OTHER_CHANGE = "its number is how much something changed, and the question asks for no change"
""""The 11-piece set cost approximately $10" from "the 11 piece system went up around $10 … from the earlier sale
price of $29" (:func:`kb_assistant.qa.changes.change_for_level`)."""
OTHER_RATE = "its number is a rate per something the question does not count by"
""""每公顷每年积累 0.62 吨碳" for "亚马逊每年吸收多少吨碳？" (:func:`kb_assistant.qa.number_clauses.rate_of_another`)."""
OTHER_LABEL = "its source says it of another label"
""""**RAG**：通过在特定数据集上进一步训练……" from "**微调**: 通过在特定数据集上进一步训练……" (:func:`kb_assistant.qa.table_cells.other_label`)."""
HEADER_TIME = "its time labels a column of its table, it is no time the row tells of"
""""……在2022年选择专业" from a row under "| 2022年招生专业 | 所属学院 |" (:func:`kb_assistant.qa.table_cells.time_from_header`)."""
CUT_ROW = "its table row is cut short, so which column it is under is unknown"
OTHER_NUMBERED = "its sentence is about another of what the question names"
""""《速度与激情 9》于 2021 年 5 月 21 日在中国内地上映" for a question about 速度与激情10
(:func:`kb_assistant.qa.numbered_names.other_numbered`), a sentence of the passage titled "虫纹阿南鱼" for 青斑阿南鱼
(:func:`kb_assistant.qa.sibling_titles.sibling_title`)."""


def moved_evidence(claims: Sequence[Claim], scores: Scores) -> tuple[str, Span] | None:
    """The reason and the evidence of the claim read beside what is asked (:data:`MOVED`) whose evidence, the sentence
    that holds what is asked, holds most of the question's words (``scores``) where several claims were."""
    moved = [(c.reason, c.evidence) for c in claims if c.reason in MOVED and c.evidence is not None]
    return max(moved, default=None,
               key=lambda pair: scores[key][1] if (key := (pair[1].number, pair[1].start)) in scores else 0.0)


def said_of_another_thing(
    question: str,
    asked: list[Term],
    claim: str,
    numbers: list[Term],
    span: Span,
    passage: Passage,
    sentences: list[tuple[str, int, int]],
    header: str | None,
) -> tuple[str, Span | None] | None:
    """Why the evidence ``span`` of ``claim`` (in ``passage``, whose ``sentences`` it is one of; ``header`` its
    table's header row, if any) says it of another thing than ``question`` asks about, with the sentence that holds
    the number asked for when one does (:data:`OTHER_CLAUSE`), or the one that says what is asked
    (:data:`OTHER_SENTENCE`); None when it is about the question's own.
    ``asked`` are the question's weighted terms, ``numbers`` the claim's numbers the question does not hold."""
    label = other_label(claim, span.text, header) or (labelled_for_another(claim, span.text, question)
                                                       if header is None else None)
    if label is not None:
        return (CUT_ROW if label == "?" else f"{OTHER_LABEL} ({label})"), None
    column = time_from_header(numbers, span.text, header) if header is not None and asks_when(question) else None
    if column is not None:
        return f"{HEADER_TIME} ({column})", None
    other_name = (other_numbered(question, span.text, passage.context) or other_title(question, claim)
                  or sibling_title(question, passage.context, span.text, passage.text)
                  or other_item(question, passage.text, span.start, span.text))
    if other_name is not None:
        return f"{OTHER_NUMBERED} ({other_name})", None
    role = (other_role(question, claim, span.text) or other_name_label(question, claim, span.text)
            or unsaid_role(question, passage.text) or other_native_place(question, claim, passage.text))
    if role is not None:
        return f"{OTHER_ROLE} ({role})", None
    kind = relabelled_kind(question, span.text)
    if kind is not None:
        return f"{RELABELLED} ({kind})", None
    latest = unsaid_latest(question, span.text)
    if latest is not None:
        return f"{NOT_SAID_LATEST} ({latest})", None
    person = term_of_another_person(question, claim, passage.text[span.start : span.end])
    if person is not None:
        return f"{OTHER_PERSON_TERM} ({person})", None
    if names_elsewhere(question, claim, span, sentences, passage.context):
        return OTHER_SENTENCE, (span if answers_as_asked(question, span.text, asked) else None)
    other = item_of_another_person(question, asked, claim, span, sentences)
    if other is not None:
        return OTHER_SENTENCE, other
    if (name_from_parallel_clause(question, asked, claim, span) is not None
            or name_after_the_asked_clause(question, asked, claim, span) is not None):
        return OTHER_PARALLEL, span
    if not numbers:
        return None
    year = (sentence_of_the_year(question, asked, numbers, span, sentences)
            or year_from_another_sentence(question, asked, numbers, span, sentences))
    if year is not None:
        return OTHER_YEAR, year
    person = number_of_another_person(question, numbers, span.text)
    if person is not None:
        return f"{OTHER_PERSON} ({person})", None
    counts = asks_for_number(question)
    if counts:
        other = (counted_elsewhere(question, numbers, span, sentences)
                 or counted_by_measure_elsewhere(question, claim, numbers, span, sentences)
                 or number_from_other_clause(asked, numbers, span, sentences))
        if other is not None:
            return OTHER_CLAUSE, other
    kind = (counts_other_kind(claim, [t.text for t in numbers], span.text)
            or measured_for_count(claim, [t.text for t in numbers], passage.text)
            or measured_otherwise(claim, [t.text for t in numbers], passage.text)
            or (other_people(question, span.text) if counts else None))
    if kind:
        return f"{OTHER_KIND} ({kind})", None
    subject = said_of_another(claim, span.text)
    if subject:
        return f"{OTHER_SUBJECT} ({subject})", None
    change = change_for_level(question, [t.text for t in numbers], span.text)
    if change:
        return f"{OTHER_CHANGE} ({change})", None
    rate = counts and rate_of_another(question, [t.text for t in numbers], span.text)
    if rate:
        return f"{OTHER_RATE} ({rate})", None
    return None

