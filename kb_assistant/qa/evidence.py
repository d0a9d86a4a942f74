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

from kb_assistant.cjk import HAN, simplified
from kb_assistant.kb.tokens import jieba_lock, jieba_module
from kb_assistant.qa.aliases import other_forms
from kb_assistant.qa.answer_text import MARKS, split_sentences, unwrap
from kb_assistant.qa.code_blocks import block_lead_in
from kb_assistant.qa.list_items import other_item
from kb_assistant.qa.negations import other_polarity
from kb_assistant.qa.numbered_names import other_numbered
from kb_assistant.qa.optional_words import NARRATORS, kind_words, placeholder_words, speaks_in_first_person
from kb_assistant.qa.set_forms import words_said_in_set_forms
from kb_assistant.qa.sibling_titles import sibling_title
from kb_assistant.qa.table_cells import is_header_row, table_header, unasked_row
from kb_assistant.qa.terms import Term, TermIndex, asked_terms, claimed_terms, coverage, general_idf


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
        return without_labels(self.text[self.body :])


LIST_NUMBER = re.compile(
    r"(?m)^[ \t]*(?:#{1,6}[ \t]+\d{1,3}(?:\.\d{1,3})*\.?(?=\s|$)"
    r"|(?:[-*+•][ \t]+)?\[?(?:(?:\*\*|__)?\d{1,3}[.)](?:\*\*|__)?(?=\s|$|[\u4e00-\u9fff])|[(（]\d{1,3}[)）]|(?:\*\*|__)?\d{1,3}、"
    r"|\d{1,3}(?:\.\d{1,3}){2,}(?=\s)))"
)
"""A list item's or a section's number at the start of a line: "1.", "**2.**", "3)", "（4）", "2、", "**1、", "### 3.3.4",
"1.用户提出问题", and a table of contents' "- [1、项目背景介绍]"."""
_LINK_TARGET = re.compile(r"(?<=\])\(#[^)\s]*\)|(?<=!\[)([^\]]*\])\([^)]*\)")


def without_labels(text: str) -> str:
    """``text`` without the numbers that only label list items and sections, and without in-page link anchors
    ("](#11-技术资源要求)") and image paths: a number a claim names must be a number the text says (a circled label,
    "① LLM 层", is dropped where terms are read: ``terms.CIRCLED``)."""
    return LIST_NUMBER.sub(" ", _LINK_TARGET.sub(lambda m: m.group(1) or "", text))


def specific_terms(terms: list[Term], indexes: list[TermIndex]) -> list[Term]:
    """The question's terms weighted by how informative they are in general (jieba's IDF table) and how rare
    among the passages: the topic every passage shares says little; the word only the answer's passage holds,
    or that none holds (the CEO nobody names), says most."""
    n = len(indexes)
    weighted = []
    for term in terms:
        held = sum(index.has(term) for index in indexes)
        for part in [term] if held else _coined_apart(term):
            df = sum(index.has(part) for index in indexes) if part is not term else held
            weighted.append(dataclasses.replace(part, weight=general_idf(part) * math.log((n + 1) / (df + 0.5))))
    return weighted


def _coined_apart(term: Term) -> list[Term]:
    """A Chinese word that jieba's HMM made up across a word boundary, cut into its characters: "验证集变大" is cut
    验证 / 集变 / 大 (no dictionary has 集变), and a passage that says "验证集……不断增大" holds no 集变, though it says
    what the question asks. Only for a word no dictionary entry has and no name tag (the HMM's names stay whole);
    call it for a word no passage holds. Else the term itself."""
    if term.kind != "cjk" or term.strict or len(term.text) < 2:
        return [term]
    plain = simplified(term.text)
    with jieba_lock:
        known = jieba_module().dt.FREQ.get(plain)
    if known:
        return [term]
    return [Term(char, "cjk", False, 1.0) for char in term.text]


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
    # Chinese only, after 哪 only: English words weigh alike, and "port" of "On which port does … listen?" left out let
    # a sentence without it ("`… serve` starts the HTTP API.") replace the answer that named the port; "需要什么型号的显卡？"
    # (never said) was quoted "……不需要显卡……" with 型号 left out
    named_kinds = [word for word in kind_words(question, which_only=True) if HAN.search(word)] + placeholder_words(question)
    kind_index = TermIndex.of(" ".join(named_kinds))
    kinds = [t for t in asked if kind_index.has(t)] if named_kinds else []
    narrators = [t for t in asked if t.text in NARRATORS]
    sentences = sentences if sentences is not None else [p.sentences() for p in passages]
    scores: dict[tuple[int, int], tuple[Span, float, bool]] = {}
    for i, passage in enumerate(passages):
        context = TermIndex.of(passage.context)
        previous: tuple[str, int, int] | None = None
        for text, start, end in sentences[i]:
            alone, joined = TermIndex.of(text), TermIndex.of(f"{previous[0]} {text}" if previous else text)
            header = table_header(passage.text, start)
            lead = block_lead_in(passage.text, start, sentences[i], passage.body)
            # what a row's cells are, or what the lines of a block are (their lead-in: "……包含餐厅员工的姓名和邮箱信息。")
            above = TermIndex.of("\n".join([passage.context, header or "", *(sentences[i][k][0] for k in lead)])) \
                if header or lead else context
            speaker = narrators if speaks_in_first_person(text) else []
            score = _share(asked, total, kinds, alone, above, speaker)
            span = Span(i + 1, text, start, end)
            with_previous = _share(asked, total, kinds, joined, above, speaker)
            # the sentence before is not taken when it is about another of a numbered name ("《速度与激情 9》于……上映。"
            # before "《速度与激情 10》首支预告……" for 速度与激情10), nor by a sentence that leads into what follows: "我们可以
            # 将该主观题构造为如下客观题：" after the example question "【问答题】南瓜书的作者是谁？" answers neither
            if (previous and with_previous > score and not text.rstrip().endswith((":", "："))
                    and _leans_on(previous[0], text, passage.text[previous[2] : start])
                    and other_numbered(question, previous[0]) is None):
                span = Span(i + 1, unwrap(passage.text[previous[1] : end]), previous[1], end,
                            answers_asked=previous[0].endswith(("?", "？")))
                score = with_previous
            # not a heading or an echo (a list item's number says nothing: "3. 智能性。"), nor a bare number (a flattened
            # table's cell: "627" says nothing of what it is), nor about another of what the question names
            own = claimed_terms(LIST_NUMBER.sub(" ", text))
            quotable = (any(not asked_index.has(t) for t in own) and any(t.kind != "number" for t in own)
                        and other_numbered(question, text) is None
                        and sibling_title(question, passage.context, span.text, passage.text) is None
                        and other_item(question, passage.text, start, span.text) is None
                        and other_polarity(question, span.text, passage.text) is None
                        and not (header and unasked_row(asked, passage.text, start, text, indexes[i]))
                        and not (header is None and is_header_row(passage.text, start)))
            scores[(i + 1, start)] = (span, score, quotable)
            previous = (text, start, end)
    return scores


def _share(asked: list[Term], total: float, kinds: list[Term], sentence: TermIndex, above: TermIndex,
           speaker: list[Term]) -> float:
    """The share of the question's weight (``total``) a sentence holds, itself or above it (headings, its table's
    header), the words naming the answer's kind (``kinds``: :mod:`kb_assistant.qa.optional_words`) counted only
    where it holds them, and the words for who speaks (``speaker``) held by a sentence in the first person."""
    held = [t for t in asked if sentence.has(t) or above.has(t) or t in speaker]
    whole = total - sum(t.weight for t in kinds if t not in held)
    return sum(t.weight for t in held) / whole if whole > 0 else 0.0


def clearly_better(asked: list[Term], compared: list[TermIndex], mine: list[TermIndex], others: list[TermIndex],
                   min_gain: float) -> int | None:
    """Which of ``others`` holds clearly more (``min_gain``) of the question's weighted terms (``asked``) that tell
    the ``compared`` texts apart (in some of them, not in all) than any of ``mine``, and one of them none of
    ``mine`` holds; None when none does."""
    total = sum(t.weight for t in asked)
    if not mine or not others or total <= 0:
        return None
    telling = [t for t in asked if t.kind != "number" and 0 < sum(index.has(t) for index in compared) < len(compared)]

    def share(index: TermIndex) -> float:
        return sum(t.weight for t in telling if index.has(t)) / total

    best = max(range(len(others)), key=lambda k: share(others[k]))
    if share(others[best]) < max(share(index) for index in mine) + min_gain:
        return None
    if not any(others[best].has(t) and not any(index.has(t) for index in mine) for t in telling):
        return None
    return best


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
    lead = [i for i in block_lead_in(passage.text, span.start, sentences, passage.body) if i < first]
    if lead:
        window += "\n" + " ".join(sentences[i][0] for i in sorted(lead))
    # "TUMAS" for the "联合卫理公会流产和性行为特别工作组" it defines; 籍贯 for "……四川省资阳县人" in the sentence itself (a
    # place named beside it is no native place: "……考入重庆市川剧院" after it)
    window += other_forms(window, passage.text) + words_said_in_set_forms(span.text)
    return coverage(asked, TermIndex.of(window)), window


TRAILING_MARK = re.compile(f"[{re.escape(MARKS)}）)”\"'|]\\s*$")
"""A sentence's last character when it is a punctuation mark (or a table cell's bar)."""


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
        self.unknown = [t.text for t in asked if t.names and not any(index.has_near(t) for index in indexes)]
        """Question terms that name something (names, numbers, acronyms) that no passage (headings or text) contains."""
        self.passages = indexes
        """Each passage's terms, headings and text."""
        self.parts: list[AboutTheQuestion] = []
        """The same for each part of a question about several things."""
        self.own = own or []
        """For a part of a question about several things, its terms that no other part holds."""
        self._vector: Any = None

    def similarity(self, text: str) -> float:
        """The embedding model's query-passage similarity of ``text`` to the question."""
        return self.similarities([text])[0]

    def similarities(self, texts: list[str]) -> list[float]:
        """The same for several texts, embedded together; the question is embedded once, on first use."""
        import numpy as np

        if self._vector is None:
            self._vector = np.asarray(self.embeddings.embed_query(self.question), dtype=np.float32)
            self._vector /= np.linalg.norm(self._vector) + 1e-12
        others = np.asarray(self.embeddings.embed_documents(texts), dtype=np.float32)
        return [float(v) for v in others @ self._vector / (np.linalg.norm(others, axis=1) + 1e-12)]

    @property
    def active(self) -> bool:
        """Whether similarity is measured at all (an embedding model and a threshold are set)."""
        return self.embeddings is not None and self.threshold is not None


def closest_in_meaning(embeddings: Any, text: str, candidates: list[int], sentences: list[list[tuple[str, int, int]]],
                       min_similarity: float) -> list[int]:
    """The ``candidates`` (passage indexes) with a sentence whose embedding is at least ``min_similarity`` close to
    ``text``'s, the closest first."""
    spans = [(i, s) for i in candidates for s, _, _ in sentences[i]]
    if not spans:
        return []
    import numpy as np

    vectors = np.asarray(embeddings.embed_documents([text] + [s for _, s in spans]), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
    similarity = vectors[1:] @ vectors[0]
    best: dict[int, float] = {}
    for (i, _), sim in zip(spans, similarity, strict=True):
        best[i] = max(best.get(i, -1.0), float(sim))
    return sorted((i for i, s in best.items() if s >= min_similarity), key=lambda i: -best[i])
