"""Where an answer's evidence lies in the passages given to the model: the passages and the spans of them, the
question's terms weighted by how informative they are there, and how much of them each sentence holds (what
the grounding check's quote and relevance rules read)."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kb_assistant.cjk import HAN
from kb_assistant.qa.answer_text import MARKS, split_sentences, unwrap
from kb_assistant.qa.numbered_names import other_numbered
from kb_assistant.qa.terms import (
    Term,
    TermIndex,
    asked_terms,
    claimed_terms,
    coverage,
    general_idf,
    normalise,
)


@dataclass(frozen=True)
class Span:
    """A sentence of source ``number`` (1-based) that supports a claim, with its character offsets."""

    number: int
    text: str
    start: int
    end: int
    answers_asked: bool = False
    """The span is a question the document asks itself and the sentence after it, as FAQs are written."""


@dataclass(frozen=True)
class Passage:
    """A chunk given to the model, as the check reads it."""

    text: str
    context: str = ""
    """Headings or file name: words a claim may take from where the chunk sits."""
    body: int = 0
    """Where the chunk's own words start in ``text``: a chunk opens with its heading path (embedded and indexed
    with it), which says where it sits, not what it says ("2、索引 > 2.2 文本分割" holds no answer "2")."""

    def sentences(self) -> list[tuple[str, int, int]]:
        """The sentences of the chunk's own words, with offsets in ``text``."""
        return [(t, start + self.body, end + self.body) for t, start, end in split_sentences(self.text[self.body :])]

    def own_words(self) -> str:
        """The chunk's own words with the numbers that only count list items and sections taken out ("**2.**",
        "3.3.4"): a number a claim names must be a number the chunk says."""
        return LIST_NUMBER.sub(" ", self.text[self.body :])


LIST_NUMBER = re.compile(
    r"(?m)^[ \t]*(?:#{1,6}[ \t]+\d{1,3}(?:\.\d{1,3})*\.?(?=\s|$)"
    r"|(?:[-*+•][ \t]+)?(?:(?:\*\*|__)?\d{1,3}[.)](?:\*\*|__)?(?=\s|$)|[(（]\d{1,3}[)）]|\d{1,3}、"
    r"|\d{1,3}(?:\.\d{1,3}){2,}(?=\s)))"
)
"""A list item's or a section's number at the start of a line: "1.", "**2.**", "3)", "（4）", "2、", "### 3.3.4"."""


def specific_terms(terms: list[Term], indexes: list[TermIndex]) -> list[Term]:
    """The question's terms weighted by how informative they are in general (jieba's IDF table) and how rare
    among the passages: the topic every passage shares says little; the word only the answer's passage holds,
    or that none holds (the CEO nobody names), says most."""
    n = len(indexes)
    weighted = []
    for term in terms:
        df = sum(index.has(term) for index in indexes)
        local = math.log((n + 1) / (df + 0.5))
        weighted.append(dataclasses.replace(term, weight=general_idf(term) * local))
    return weighted


def sentence_scores(
    question: str,
    passages: Sequence[Passage],
    sentences: list[list[tuple[str, int, int]]] | None = None,
    indexes: list[TermIndex] | None = None,
) -> dict[tuple[int, int], tuple[Span, float, bool]]:
    """Each passage sentence's share of the question's weighted terms (``specific_terms``) found in it or the
    passage's headings (a table row's also in its table's header row), by (source number, sentence start): the
    span (the sentence, or it with the sentence before when that holds more: "他负责……" needs the sentence that
    names him), its share, and whether it may be quoted (it says something the question does not). Empty when
    the question has no weighted terms."""
    indexes = indexes if indexes is not None else [TermIndex.of(f"{p.context}\n{p.text}") for p in passages]
    asked = specific_terms(asked_terms(question), indexes)
    total = sum(t.weight for t in asked)
    if not asked or total <= 0:
        return {}
    asked_index = TermIndex.of(question)
    sentences = sentences if sentences is not None else [p.sentences() for p in passages]
    scores: dict[tuple[int, int], tuple[Span, float, bool]] = {}
    for i, passage in enumerate(passages):
        context = TermIndex.of(passage.context)
        previous: tuple[str, int, int] | None = None
        for text, start, end in sentences[i]:
            alone, joined = TermIndex.of(text), TermIndex.of(f"{previous[0]} {text}" if previous else text)
            header = table_header(passage.text, start)
            above = TermIndex.of(f"{passage.context}\n{header}") if header else context  # what a row's cells are
            score = sum(t.weight for t in asked if alone.has(t) or above.has(t)) / total
            span = Span(i + 1, text, start, end)
            with_previous = sum(t.weight for t in asked if joined.has(t) or above.has(t)) / total
            # the sentence before is not taken when it is about another of a numbered name ("《速度与激情 9》于……上映。"
            # before "《速度与激情 10》首支预告……" for 速度与激情10), nor is a sentence that is
            if (previous and with_previous > score and _leans_on(previous[0], text, passage.text[previous[2] : start])
                    and other_numbered(question, previous[0]) is None):
                span = Span(i + 1, unwrap(passage.text[previous[1] : end]), previous[1], end,
                            answers_asked=previous[0].endswith(("?", "？")))
                score = with_previous
            # not a heading or an echo
            quotable = (any(not asked_index.has(t) for t in claimed_terms(text))
                        and other_numbered(question, text) is None)
            scores[(i + 1, start)] = (span, score, quotable)
            previous = (text, start, end)
    return scores


_SUBJECT_OF_BEFORE = re.compile(
    r"^\W*(he|she|it|its|they|their|them|his|her|this|these|those|that|such|there|here|the latter|the former)\b",
    re.IGNORECASE,
)


def _leans_on(before: str, sentence: str, between: str) -> bool:
    """Whether ``sentence`` may take its subject from ``before`` (``between`` is the text that parts them): an
    FAQ's answer always from its question; otherwise as :func:`_may_lean_back` says, but not across a paragraph,
    nor a list item from the item or line before it, unless that line leads into it ("……的优势：") ("**1.** 可以设置……"
    had taken the score of "- chunk_overlap 指……" above it, and a definition was quoted as the value asked for)."""
    if before.rstrip().endswith(("?", "？")):
        return True
    parted = re.search(r"\n[ \t]*\n", between) or LIST_NUMBER.match(sentence) or re.match(r"[-*+•][ \t]", sentence)
    if parted and not before.rstrip().endswith((":", "：")):
        return False
    return _may_lean_back(sentence)


def _may_lean_back(sentence: str) -> bool:
    """Whether a sentence may take its subject from the one before it (an FAQ's answer always may take its
    question). An English one only when it opens with a pronoun ("He was…"): "A file that cannot be read … is
    skipped" had taken the score of the sentence before it (`--prune` removes the chunks of deleted files), so a
    draft pasted from it passed as that answer. A Chinese one always: its subject is often left out altogether
    ("负责预算审批和报销。")."""
    if HAN.search(sentence):
        return True
    return bool(_SUBJECT_OF_BEFORE.match(sentence))


SHORT_SENTENCE = 6
"""Characters of a sentence too short to be the context of the next one (see :func:`relevance_window`)."""


def best_span(terms: list[Term], number: int, sentences: list[tuple[str, int, int]], text: str = "") -> Span:
    """The sentence of the source (``text``) that holds the most of the claim's terms; a table row with its
    table's title and header ("2020年宁夏的法学专业录取最低分是650分" is the row "| 法学 | | | 650 | 650 |" under
    "专业名称 … 最低" of "2020年宁夏回族自治区录取分数线")."""
    best, best_score, at = sentences[0] if sentences else ("", 0, 0), -1.0, 0
    for i, sentence in enumerate(sentences):
        header = table_header(text, sentence[1], caption=True) if text else None
        score = coverage(terms, TermIndex.of(f"{header}\n{sentence[0]}" if header else sentence[0]))
        if score > best_score:
            best, best_score, at = sentence, score, i
    if text and best_score < 1.0:
        best = _with_lines_around(terms, sentences, at, text, best_score)
    return Span(number, *best)


def _with_lines_around(terms: list[Term], sentences: list[tuple[str, int, int]], at: int, text: str,
                       score: float) -> tuple[str, int, int]:
    """Sentence ``at`` with the unpunctuated lines around it that hold more of the claim: a transcript's lines are
    pieces of one utterance, and a claim read from several of them ("蘑菇书真的寓意是玛里奥 / 大家如果玩过超级玛里奥
    游戏 / …") rests on all of them, not on the one that holds most of its words. Sentences that end in a
    punctuation mark are never joined."""
    first = last = at
    while True:
        around = []  # up to three more lines on either side: a line that adds nothing may stand between two that do
        for step in range(1, 4):
            if first - step >= 0 and all(_bare_break(text, sentences[i - 1], sentences[i])
                                         for i in range(first - step + 1, first + 1)):
                around.append((first - step, last, step))
            if last + step < len(sentences) and all(_bare_break(text, sentences[i], sentences[i + 1])
                                                    for i in range(last, last + step)):
                around.append((first, last + step, step))
        wider = [(coverage(terms, TermIndex.of(unwrap(text[sentences[a][1] : sentences[b][2]]))), -step, a, b)
                 for a, b, step in around]
        grown = max(wider, default=None)
        if grown is None or grown[0] <= score:
            return unwrap(text[sentences[first][1] : sentences[last][2]]), sentences[first][1], sentences[last][2]
        score, _, first, last = grown


def _bare_break(text: str, before: tuple[str, int, int], after: tuple[str, int, int]) -> bool:
    """Whether only a line break stands between two sentences, the first ending in no punctuation mark."""
    return text[before[2] : after[1]].strip(" \t") == "\n" and not TRAILING_MARK.search(before[0])


def relevance_window(
    asked: list[Term], span: Span, passage: Passage, sentences: list[tuple[str, int, int]]
) -> tuple[float, str]:
    """Share of the question's terms found in the supporting sentence, its neighbours and the chunk's headings
    (a table row's title and header too); and that text. The neighbour before it is a whole sentence: a clause
    that ends in a semicolon, or a word or two ("Yes.", "是的。"), takes the sentence before it along (an FAQ's
    question stands before its answer's first clause: "Does it send my documents anywhere? No. Everything runs on
    your machine; telemetry … is off.")."""
    position = next((i for i, s in enumerate(sentences) if s[1] == span.start), 0)
    last = max((i for i, s in enumerate(sentences) if position <= i and s[1] < span.end), default=position)
    first = max(position - 1, 0)
    while first and (len(sentences[first][0].strip()) <= SHORT_SENTENCE or sentences[first][0].rstrip()[-1:] in ";；"):
        first -= 1
    header = table_header(passage.text, span.start, caption=True)  # a row is about what its table names
    window = f"{passage.context}\n" + (f"{header}\n" if header else "") + " ".join(
        s[0] for s in sentences[first : last + 2]
    )
    return coverage(asked, TermIndex.of(window)), window


TRAILING_MARK = re.compile(f"[{re.escape(MARKS)}）)”\"'|]\\s*$")
"""A sentence's last character when it is a punctuation mark (or a table cell's bar)."""

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
    best = max(range(len(cells)), key=lambda k: held[k])
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


def held_together(new: list[Term], indexes: list[TermIndex], min_coverage: float) -> list[int]:
    """Two passages that hold a claim's words together where neither holds them alone ("it stores them in a
    Chroma database in `vectorstore/`", from the overview and the configuration section): each must hold a
    word of the claim the other lacks, and together every strict word and ``min_coverage`` of the rest."""
    strict = [t for t in new if t.strict]
    weight = sum(t.weight for t in new)
    for i, first in enumerate(indexes):
        for j in range(i + 1, len(indexes)):
            second = indexes[j]
            if any(not (first.has(t) or second.has(t)) for t in strict):
                continue
            if not (any(first.has(t) and not second.has(t) for t in new)
                    and any(second.has(t) and not first.has(t) for t in new)):
                continue
            held = sum(t.weight for t in new if first.has(t) or second.has(t))
            if weight and held / weight >= min_coverage:
                return [i, j]
    return []


class AboutTheQuestion:
    """Whether a passage is about the question in meaning: the embedding model's query-passage similarity
    (when an embedding model and ``threshold`` are set); the question is embedded once, on first use."""

    def __init__(
        self, question: str, embeddings: Any, threshold: float | None, asked: list[Term], indexes: list[TermIndex],
        own: list[Term] | None = None,
    ) -> None:
        self.question, self.embeddings, self.threshold, self.asked = question, embeddings, threshold, asked
        self.unknown = [t.text for t in asked if t.strict and not any(index.has_near(t) for index in indexes)]
        """Strict question terms (names, numbers, acronyms) that no passage (headings or text) contains."""
        self.parts: list[AboutTheQuestion] = []
        """The same for each part of a question about several things."""
        self.own = own or []
        """For a part of a question about several things, its terms that no other part holds."""
        self._vector: Any = None

    def similarity(self, text: str) -> float:
        """The embedding model's query-passage similarity of ``text`` to the question."""
        import numpy as np

        if self._vector is None:
            self._vector = np.asarray(self.embeddings.embed_query(self.question), dtype=np.float32)
            self._vector /= np.linalg.norm(self._vector) + 1e-12
        other = np.asarray(self.embeddings.embed_documents([text])[0], dtype=np.float32)
        return float(other @ self._vector / (np.linalg.norm(other) + 1e-12))

    @property
    def active(self) -> bool:
        """Whether similarity is measured at all (an embedding model and a threshold are set)."""
        return self.embeddings is not None and self.threshold is not None
