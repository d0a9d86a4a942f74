"""Tables and labelled lines: which row, column or label a claim's words and numbers are under.

A Markdown table keeps its header row in every chunk, and the grounding check reads a row with it: an answer's
number in another column than the one asked for (:func:`asked_column`), a value under another key of a labelled
text (:func:`asked_label`), a label or a column the source gives to something else (:func:`other_label`), and an
answer whose words come from several rows (:func:`table_mismatch`).
"""

from __future__ import annotations

import functools
import re

from kb_assistant.qa.terms import Term, TermIndex, claimed_terms, coverage, normalise

OTHER_COLUMN = "its number is in another column than the one asked for"
"""Also a number under another key than the one asked for ("大": 10.95 for the medium size)."""
OTHER_ROW = "it joins cells of other rows to the row it rests on"
"""The answer's words are in the table, but not in one row (with its header): "Meats Clerk" for the row that says
Meats and Meat Cutter, "Clerk" read from another row. The row is quoted with its header."""

TABLE_RULE = re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-{0,}:?\s*$")
"""The line under a Markdown table's header: | --- | :---: |"""


def table_rows(text: str, start: int) -> list[str]:
    """The lines of the Markdown table block that the line beginning at ``start`` is in (header and rule too)."""
    begin = text.rfind("\n", 0, start) + 1
    lines = text.split("\n")
    at = text.count("\n", 0, begin)
    first = last = at
    while first > 0 and lines[first - 1].lstrip().startswith("|"):
        first -= 1
    while last + 1 < len(lines) and lines[last + 1].lstrip().startswith("|"):
        last += 1
    return [line.strip() for line in lines[first : last + 1]]


def table_header(text: str, start: int, *, caption: bool = False) -> str | None:
    """The header row of the Markdown table that the row beginning at ``start`` belongs to (tables keep theirs in
    every chunk), or None when that line is no table row or is the header itself: a quoted row says what its cells
    are only with it ("| 1319 | 1/3/1957 | 58 | …" is an age of 58 under "age"). With ``caption``, the line above
    the table (its title, "2020年宁夏回族自治区录取分数线") comes first, where there is one."""
    if not text[text.rfind("\n", 0, start) + 1 :].lstrip().startswith("|"):
        return None  # most sentences: no table row, nothing to split
    lines = text[: text.find("\n", start) if "\n" in text[start:] else len(text)].split("\n")
    first = len(lines) - 1
    while first > 0 and lines[first - 1].lstrip().startswith("|"):
        first -= 1
    if first + 2 > len(lines) - 1 or not TABLE_RULE.match(lines[first + 1]):
        return None  # the row is the header or its separator, or the block has no header
    title = lines[first - 1].strip() if caption and first > 0 else ""
    return f"{title}\n{lines[first].strip()}" if title else lines[first].strip()


def asked_column(asked: list[Term], numbers: list[Term], row: str, header: str) -> str | None:
    """The header of the cell that ``asked`` names, when the claim's ``numbers`` are in another cell of the table
    ``row``: "…文史类最低分是多少？" answered with 614 from "| 人力资源管理 | 614 | 609 |" under "| 专业名称 | 文史/历史类
    最高 | 文史/历史类 最低 |". The words that tell columns apart are the question's words some header cells hold and
    others do not ("最低"); None when the numbers sit in a cell that holds them all, or the row says nothing of it."""
    cells, names = _cells(row), _cells(header)
    if len(cells) != len(names) or not numbers:
        return None
    named = [TermIndex.of(name) for name in names]
    told = [t for t in asked if 0 < sum(name.has(t) for name in named) < len(names)]
    if not told:
        return None
    fits = [i for i, name in enumerate(named) if cells[i].strip() and all(name.has(t) for t in told)]
    held = [i for i, cell in enumerate(cells) if any(TermIndex.of(cell).has(t) for t in numbers)]
    if not held or not fits or any(i in fits for i in held):
        return None
    return names[fits[0]].strip()


_LABELLED_NUMBER = re.compile(
    r"[\"“'](?P<quoted>[^\"”'\n:：{}]{1,16})[\"”']\s*[:：]\s*|(?<![\w.])(?P<bare>[^\W\d][\w\- ]{0,15}?)\s*[:：=]\s*"
)
_NUMBER_AFTER = re.compile(r"-?\d+(?:[.,]\d+)*")


_LABEL = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)、]\s*)?(?:\*\*|__)\s*([^：:*_\n|]{1,24}?)\s*(?:\*\*|__)\s*[：:]\s*\S")
"""A line that opens with a bold label and a colon ("**微调**: 通过……", "- **RAG**：……"); "提示工程的两个关键原则是：……" is
a sentence, not a label."""


_SUBJECT = re.compile(r"^\s*(?P<zh>[^，。：:；\s][^，。：:；]{0,15}?)\s*(?:是|指|即)|^\s*(?P<en>[A-Za-z][\w\- ]{0,30}?)\s+(?:is|are|means|refers to)\b")
"""What a sentence says something of: its words before 是 / 指 ("RAG 是一种……"), or before "is" / "means"."""


def labelled_for_another(claim: str, evidence: str, question: str) -> str | None:
    """The label ``evidence`` opens with, when ``claim`` says its words of something else that the question names:
    "RAG 是一种……方法，通过在特定数据集上进一步训练大语言模型……" rests on "**微调**: 通过在特定数据集上进一步训练大语言模型……"
    (asked "什么是 RAG？"); RAG is nowhere in that sentence, 微调 nowhere in the claim."""
    theirs, subject = _LABEL.match(evidence), _SUBJECT.match(claim)
    if theirs is None or subject is None:
        return None
    label = normalise(theirs.group(1)).strip()
    said_of = normalise(subject.group("zh") or subject.group("en") or "").strip()
    text, asked = normalise(claim), normalise(question)
    source = normalise(evidence)
    if len(said_of) < 2 or said_of not in asked or label in text or label in said_of:
        return None
    # the sentence names what is said of, or its last three characters ("…专业的初试费" in "**2、缴费**：……收取初试费
    # 100元"; a longer end that it holds holds these too): the label is its topic
    if said_of[-3:] in source:
        return None
    return theirs.group(1).strip()


def other_label(claim: str, evidence: str, header: str | None = None) -> str | None:
    """The label ``evidence`` opens with, when ``claim`` opens with another that ``evidence`` does not name: "**RAG**：
    通过在特定数据集上进一步训练大语言模型……" rests on "**微调**: 通过在特定数据集上进一步训练大语言模型……", every word of it
    there but the label, which the question names and the check therefore does not look for. For a table row under
    ``header``, the column whose cell holds the claim's words, when its label names another column ("**微调**：侧重于
    信息检索……" from the cell under "RAG")."""
    mine, theirs = _LABEL.match(claim), _LABEL.match(evidence)
    if header is not None:
        return _other_column(normalise(mine.group(1)).strip() if mine else None, claim, evidence, header)
    if mine is None or theirs is None:
        return None
    label, source = normalise(mine.group(1)).strip(), normalise(theirs.group(1)).strip()
    if not label or label == source or label in normalise(evidence):
        return None
    return theirs.group(1).strip()


def _other_column(label: str | None, claim: str, row: str, header: str) -> str | None:
    """The header of the cell of ``row`` that holds the claim's words, when the claim names one other column (by its
    label, or as the only column name it holds past the first: "RAG 的可解释性相对较低" from the cell under 微调); "?"
    when the row has fewer cells than the header, so that no cell's column is known."""
    names = [normalise(c).strip() for c in _cells(header.splitlines()[-1])]
    cells = _cells(row)
    if label is None:
        text = normalise(claim)
        named = [name for name in names[1:] if len(name) >= 2 and name in text]  # not "中" of 中国
        label = named[0] if len(named) == 1 else None
    body = claim
    for name in names:
        body = body.replace(name, " ") if name else body
    terms = claimed_terms(body)
    if label not in names or not terms:
        return None
    if len(cells) != len(names):  # a row cut by a chunk's end ("| 黑盒子，可解释性相对较低。 |"): its column is unknown
        return "?"
    held = [coverage(terms, TermIndex.of(cell)) for cell in cells]
    # the first cell is the row's key: it holds what the claim is about ("金融学类"), not a column's value
    best = max(range(1 if len(cells) > 1 else 0, len(cells)), key=lambda k: held[k])
    mine = names.index(label)
    return _cells(header.splitlines()[-1])[best].strip() if best != mine and held[best] > held[mine] else None


def asked_label(asked: list[Term], question: str, numbers: list[Term], text: str) -> str | None:
    """The label that ``question`` names, when the claim's ``numbers`` are labelled otherwise in ``text``: "芝士披萨
    中号多少钱？" answered with 10.95 from ``"芝士披萨": { "大": 10.95, "中": 9.25, "小": 6.50 }``. A label is a key
    written before a number ("大": 10.95, timeout: 30, 最低分：609); None when a number also stands under a label the
    question names, or the question names none of the labels, or names the number's own label too."""
    labels: list[tuple[str, str]] = []  # (label, the number after it)
    for match in _LABELLED_NUMBER.finditer(text):
        value = _NUMBER_AFTER.match(text, match.end())
        if value:
            labels.append(((match.group("quoted") or match.group("bare")).strip(), value.group()))
    if len({label for label, _ in labels}) < 2:
        return None
    named = {label for label, _ in labels if label and label.lower() in question.lower()}
    if not named:
        return None
    wanted = {t.text for t in numbers}
    held = [label for label, value in labels if _normal_number(value) in wanted]
    if not held or any(label in named for label in held):
        return None
    asked_texts = {t.text for t in asked}
    if any(label.lower() in asked_texts for label in held):
        return None
    return max(sorted(named), key=len)


def _normal_number(value: str) -> str:
    """A number as the term index writes it ("1,000" -> "1000")."""
    return value.replace(",", "")


def _cells(row: str) -> list[str]:
    """A Markdown table row's cells, without the outer bars."""
    return row.strip().strip("|").split("|")


def table_mismatch(asked: list[Term], question: str, new: list[Term], text: str, start: int, row: str,
                   min_coverage: float, *, across_passages: bool = False) -> str | None:
    """Why a claim resting on the table row ``row`` (at ``start`` of ``text``) is not that row's answer, or None: its
    number is in another column than the question names (:data:`OTHER_COLUMN`, with that column), or its words are
    in other rows than the ones the question's names and numbers pick, or than ``row`` (:data:`OTHER_ROW`). A claim
    held by two passages together (``across_passages``) is not read row by row."""
    header = table_header(text, start)
    numbers = [t for t in new if t.kind == "number"]
    column = header and asked_column(asked, numbers, row, header)
    label = not column and numbers and asked_label(asked, question, numbers, row)
    if column or label:
        return f"{OTHER_COLUMN} ({column or label})"
    if not header or across_passages:
        return None
    if unasked_row(asked, text, start, row, TermIndex.of(text)):
        return OTHER_ROW
    # the rows the question names (its keys: "3137", "4078"), else the row the answer rests on
    keys = [t for t in asked if t.strict]
    lines = table_rows(text, start) if keys else []
    # a key in the header row names a column ("| 特征比较 | RAG | 微调 |"), not a row
    body = lines[2:] if len(lines) > 2 and TABLE_RULE.match(lines[1]) else lines
    named = [line for line in body if any(TermIndex.of(line).has(t) for t in keys)]
    title = table_header(text, start, caption=True) or header
    rows = TermIndex.of("\n".join([title, *(named or [row])]))
    if any(t.strict and not rows.has(t) for t in new) or coverage(new, rows) < min_coverage:
        return OTHER_ROW
    return None


def is_header_row(text: str, start: int) -> bool:
    """Whether the line beginning at ``start`` is a Markdown table's header row (the rule is the line below it): it
    names the columns, it answers nothing."""
    line_end = text.find("\n", start)
    if line_end < 0 or not text[start:line_end].lstrip().startswith("|"):
        return False
    below = text.find("\n", line_end + 1)
    return bool(TABLE_RULE.match(text[line_end + 1 : below if below >= 0 else len(text)]))


def unasked_row(asked: list[Term], text: str, start: int, row: str, passage: TermIndex) -> bool:
    """Whether the table row ``row`` (at ``start`` of ``text``, whose words and headings ``passage`` holds) is not a
    row the question asks about, in a table of several rows: another row holds every question word this one holds
    and more ("| 北京 | 669 | … |" where 河北's line is asked for), or none of its cells holds a question word while
    another row does, or while the question names something the passage never does (the lowest score of 哲学 from
    "| 金融学类 | 598 | 587 |": the table has no row for it). A question that names no row ("哪个专业最高？") leaves
    every row open."""
    if table_header(text, start) is None:
        return False
    lines = table_rows(text, start)
    body = lines[2:] if len(lines) > 2 and TABLE_RULE.match(lines[1]) else []
    if len(body) < 2:
        return False

    words = tuple(t for t in asked if t.kind != "cjk" or len(t.text) > 1)  # 人 in "各1人" names no row
    mine, others = _held(row.strip(), words), [_held(line, words) for line in body]
    if any(theirs > mine for theirs in others):
        return True
    return not mine and (any(others) or any(not passage.has(t) for t in words))


@functools.lru_cache(maxsize=4096)
def _held(line: str, words: tuple[Term, ...]) -> frozenset[str]:
    """The ``words`` a table row holds: each row of a table is read once per question, not once per row it is
    compared with."""
    index = TermIndex.of(line)
    return frozenset(t.text for t in words if index.has(t))


def time_from_header(numbers: list[Term], row: str, header: str) -> str | None:
    """The header cell a claim's ``numbers`` come from, when they stand in ``header`` and not in ``row``: the year
    of "| 2022年招生专业 | 所属学院 |" labels the column, it is no time the row tells of ("人力资源管理类学生在什么时候
    选择专业？" was answered "在2022年选择专业"). Asked only of questions that ask when."""
    if not numbers or TermIndex.of(row).numbers & {t.text for t in numbers}:
        return None
    for cell in _cells(header.splitlines()[-1]):
        if {t.text for t in numbers} <= TermIndex.of(cell).numbers:
            return cell.strip()
    return None
