"""The words a sentence claims, and where they are found: the lexical half of the grounding check.

A term is a number, an English word (Snowball-stemmed, as BM25 does) or a Chinese word (jieba, with its
part of speech). Names, places, organisations, numbers and capitalised or alphanumeric English words are
*strict*: a sentence that states one the sources do not contain is unsupported, however much else matches.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from kb_assistant.cjk import HAN, HAN_RUNS, simplified
from kb_assistant.kb.tokens import english_root_stem, jieba_lock, tokenize
from kb_assistant.qa.chinese_words import (
    institution_names,
    phrase_tagged_as_name,
    posseg,
    tagged_words,
    unread_names,
)
from kb_assistant.qa.name_forms import name_runs, named_otherwise, one_edit, run_at
from kb_assistant.qa.spelled_numbers import in_digits
from kb_assistant.qa.unit_words import written_otherwise
from kb_assistant.qa.whole_words import holds_root, inner_words, starts_a_word, word_root

logger = logging.getLogger(__name__)

# Function words and question words: they say nothing a source could support or contradict ("一共" / "总共" in
# "KKT 条件一共有几条？" ask for a total; a source says "以上5 条便是……", and as the one term no passage held they took
# most of the weight).
_STOP_ZH = frozenset(
    "的 地 得 了 着 过 是 在 和 与 及 或 也 就 都 而 之 其 这 那 有 为 以 于 把 被 个 吗 呢 吧 啊 呀 么 哪 哪个 哪些 哪里 "
    "哪儿 什么 如何 怎么 怎样 为什么 多少 多久 多长 多大 多远 多高 哪年 哪一年 几年 几个 啥 几 谁 何 何时 何地 是否 请问 请 根据 资料 知识库 中 上 下 里 对 从 到 由 向 "
    "它 他 她 它们 他们 她们 我 我们 你 你们 该 此 这个 那个 这些 那些 所 会 能 可以 要 将 已 已经 还 又 并 但 不 没有 "
    "一个 一种 一些 被称为 称为 称之为 被称之为 东西 叫 叫做 即 等 时 后 前 年代 时候 来 去 做 让 使 给 之一 所以 因为 如果 那么 以及 并且 "
    "总是 通常 经常 常常 一直 始终 往往 永远 从来 一定 估计 据估计 大约 大概 约 约为 左右 将近 差不多 "
    "得到 受到 进行 加以 予以 给予 作出 做出 一共 总共 共计 诸如 之类 例如 比如 譬如".split()
)
# Question words jieba keeps as one word with what they ask about ("何年", "哪位", "几月"): a source never holds
# them, so as terms they took a large share of a question's weight (weighted by rarity) and no sentence could
# reach a quote's share ("承久之亂於何年爆發?": 0.29 for the sentence that answers it).
_ASKING_ZH = frozenset("何年 何月 何日 何处 何人 何种 何为 何故 何者 何物 何事 何以 何方 为何 有何 为啥 甚么 什么样 怎么样 干什么 由谁来".split())
_DOCUMENT_PARTS_ZH = frozenset("一章 本章 这章 该章 此章 各章 一节 本节 这节 该节 此节 各节 章节".split())
"""Words that point at a chapter or section ("迭代优化一章中……", "本节"), not at what it says: the part's own name
("迭代优化", "第三章" in its heading) is what a source holds, and as terms of weight they held a right answer's
evidence under the relevance needed ("一章" 26 of the question's 232). "文中" and "本文" stay terms: a question from
another text that says "文中的……" was refused because no passage is that text (a kept draft that moved)."""
_COMPARING_ZH = frozenset("不如 优于 劣于 胜过 逊于 不及 弱于 强于 好于 差于 高于 低于 快于 慢于 多于 少于 大于 小于".split())
"""Words that rank one thing against another: a sentence that ranks what its source does not is not supported by
it, however many of its other words the source has ("Chroma 的数据存储可能不如其他预训练模型" from a chunk that only
says Chroma stores data)."""
_NOT_ASKING_ZH = ("几乎", "几何", "几率", "几内亚", "哪吒")
_NAMED_WITHOUT_KIND_ZH = frozenset(("语言", "语种", "国家", "颜色"))
"""Kinds whose members' names do not hold the kind's word (西班牙语, 法国, 红色): after a word that asks ("哪种语言",
"什么颜色") no source that answers says it."""
_ONE_AND_MEASURE = re.compile(r"一(?:[个位所家种部本条项件座只名届次间栋句门类批份张台篇首天年]|[\u4e00-\u9fff]$)")  # 哪/一级


_INSTRUCTIONS = re.compile(
    r"\b(?:please|briefly|in brief|in short|step by step|one (?:per|a) line|in (?:a )?(?:numbered |bulleted )?list"
    r"|(?:as|in) (?:a )?table|(?:in|as) bullet points?)\b|^\s*list\b"
    r"|^\s*请问?|简要(?:地)?|简单(?:地)?(?:说|回答|介绍)|(?<!使)用表格|以表格(?:形式)?|逐条|一行一个|每行一个|列出|列举",
    re.IGNORECASE,
)
"""How the question wants its answer laid out ("List …, one per line", "请用表格列出……"), not what it asks about: a
passage that answers needs none of these words. Only where they cannot be part of a word (申请, 使用表格)."""


VERSION_ASKED = re.compile(
    r"((?:哪|哪个|哪一个|什么)\s*)版本号?|()版本号?(?=\s*(?:是|为)?\s*(?:多少|几))"
    r"|\b((?:which|what)\s+(?:[A-Za-z][\w.+-]*\s+){0,2})versions?\b",
    re.IGNORECASE,
)
""""哪个版本", "Python 的版本是多少", "which (Python) version": the kind of answer asked for, as "哪一年" is; "Python 3.10"
answers it without the word."""
NUMBER_ASKED = re.compile(r"号码(?=\s*(?:是|为)?\s*(?:多少|什么|几))|(?<=多少)钱|(?<=几块)钱")
""""传真号码是多少": 号码 names the kind of answer, which a source writes without the word ("传真：010-62511156"); so
does 钱 in "多少钱" (a menu's "芝士披萨（大、中、小） 10.95、9.25、6.50")."""


_PREAMBLE = re.compile(
    r"^\s*(?:根据|依据|按照|从)(?:以上|上述|所给|提供的)?(?:资料|上下文|文档|知识库|材料|参考资料|来源)(?:\s*[\[【]\d+[\]】])?"
    r"(?:中|里|所述)?的?(?:信息|内容|描述|记载|说明)?(?:可知|来看|显示|所述)?\s*[，,:：]?"
    r"|^\s*(?:according to|based on|from) (?:the )?(?:given |provided )?"
    r"(?:sources?|context|documents?|passages?|information)(?: provided| given)?(?:\s*\[\d+\])?\s*[,:]?",
    re.IGNORECASE,
)
"""How a small model opens an answer ("根据资料中的信息，", "According to the sources,"): no claim about the topic, and
"信息" is no word a table of employees holds ("根据资料中的信息，员工 1318 在 Vancouver。" was refused for it)."""


def without_preamble(text: str) -> str:
    """``text`` without the opening that only says the answer comes from the sources."""
    return _PREAMBLE.sub("", text, count=1)


def asked_part(question: str) -> str:
    """``question`` without the words that only say how to lay out the answer (see ``_INSTRUCTIONS``), nor the
    word that names a version or a number (号码) as the kind of answer asked for."""
    asked = VERSION_ASKED.sub(lambda m: m.group(1) or m.group(3) or "", _INSTRUCTIONS.sub(" ", question))
    return NUMBER_ASKED.sub("", asked)


def asked_terms(question: str) -> list[Term]:
    """The terms of what ``question`` asks about (its layout words left out: ``asked_part``), unweighted."""
    return claimed_terms(asked_part(question), whole_names=True)


def asks_or_joins(word: str) -> bool:
    """Whether a Chinese word only asks or joins ("哪些", "的", "什么"): no word a source could hold as an answer's."""
    return _asks(simplified(word))


def _interrogative(simplified: str) -> bool:
    """Whether a Chinese word (simplified) is one that asks: 什么, 多少, 何时, or 哪/几/第几 with a measure (哪些, 几所)."""
    if simplified in _ASKING_ZH or simplified in ("什么", "多少", "谁", "何"):
        return True
    if simplified.startswith(_NOT_ASKING_ZH):
        return False
    return simplified.startswith(("哪", "第几")) or (simplified.startswith("几") and len(simplified) <= 3)


def _asks(simplified: str) -> bool:
    """Whether a Chinese word (simplified) only asks: a stop word, an interrogative (:func:`_interrogative`), or a
    word that points at a chapter or section."""
    return simplified in _STOP_ZH or simplified in _DOCUMENT_PARTS_ZH or _interrogative(simplified)


_STOP_EN = frozenset(
    "a an the of to in on for and or is are was were be been being by with as at from that this these those which "
    "what who whom whose when where why how does do did done it its they them their there here he she his her him "
    "i we you your our not no yes can could will would should may might must shall than then so such into onto "
    "about over under also only just very more most much many any some all each other both either neither "
    "has have had having according source sources context knowledge base document documents based information "
    "provided mentioned stated given text passage "
    "between among within without through throughout during before after above below across against along around "
    "behind beside besides beyond toward towards upon via per except inside outside near off up down out "
    "always never ever often usually sometimes still already approximately roughly nearly almost estimated".split()
)
# The word after "how" / "what" / "which" that says what is asked ("How long ago…", "In what year…"): a source
# answers with a number or a date, not with the word.
_ASKING_EN = {
    "how": frozenset("long old far big tall large often soon early late fast high deep wide heavy".split()),
    "what": frozenset("year years kind type sort".split()),
    "which": frozenset("year years kind type sort".split()),
}
_STRICT_POS = ("nr", "ns", "nt", "nz", "m")
_NUMBER = re.compile(r"\d+(?:[.:]\d+)*")
_ALNUM = re.compile(r"[A-Za-z0-9]+")
CIRCLED = re.compile(r"[\u2460-\u24ff\u2776-\u2793]")
"""A circled or parenthesised list label ("①", "⑵"): NFKC would read it as a number, which no text says."""
_LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ɏ][A-Za-z0-9À-ÖØ-öø-ɏ]*(?:[-_.][A-Za-z0-9À-ÖØ-öø-ɏ]+)*")  # pinyin: "yù"
_CHINESE_NUMERAL = re.compile(r"[零一二三四五六七八九十百千万亿两〇]")
@dataclass(frozen=True)
class Term:
    """One claimed word: ``text`` as matched against sources, ``weight`` its share of the claim."""

    text: str
    kind: str
    """'number', 'latin' (stemmed English) or 'cjk'."""
    strict: bool
    weight: float
    run: tuple[str, ...] = field(default=(), compare=False)
    """For an English word of a name, the name's words and this word's place in them (``name_forms``)."""
    place: int = field(default=0, compare=False)

    @property
    def names(self) -> bool:
        """Whether the term names something a source that answers must name too: a strict term, but not a count
        or an ordinal of what is asked ("两个例子", "兩個", "有二", "第一个问题": the answer lists the two, or says "首先"),
        nor an adverb jieba tags as a numeral ("一起", "十分")."""
        plain = simplified(self.text) if self.kind == "cjk" and self.text[:1] != "第" else self.text
        return self.strict and not (self.kind == "cjk" and (_COUNT_ZH.fullmatch(plain) is not None
                                                            or plain in _NUMERAL_ADVERBS_ZH))


_MEASURE_ZH = "[个位名种类项条件次点部本家所批份篇首门句支款集队段届场座艘辆架台张只层站]"
# an ordinal of an event ("第二十届", "第三次") names it; one of a list's items ("第一个问题") does not
_COUNT_ZH = re.compile(rf"第[一二三四五六七八九十]+[个位种类项条点件名]?|[一二三四五六七八九十两几]+{_MEASURE_ZH}?")  # 原因有二
_NUMERAL_ADVERBS_ZH = frozenset(("一起", "一下", "十分", "一些", "一直", "一般", "一定", "一样", "一切", "一致", "一同", "一律", "一再",
                                 "一向", "一旦", "一度", "一齐", "一共"))


def numbers_in(text: str) -> list[str]:
    """The numbers of ``text``, but not the digits of an identifier whose letters and digits alternate three times
    or more (a video's "BV1HZ4y1v7eX", a hash "4922e78f7a24…": a "1" no sentence says); "4GB", "H100x8" keep theirs."""
    return _NUMBER.findall(_ALNUM.sub(_blank_identifier, text))


def _blank_identifier(match: re.Match[str]) -> str:
    token = match.group(0)
    return " " * len(token) if len(re.findall(r"\d+", token)) >= 3 and re.search(r"[A-Za-z]", token) else token


def normalise(text: str) -> str:
    """NFKC (full-width to half-width), lower case, thousands separators dropped, Chinese in simplified characters
    (the 0.5B model often answers a traditional-Chinese source in simplified ones, "韩国" for 韓國), circled list
    labels dropped: the form terms are matched in."""
    text = simplified(unicodedata.normalize("NFKC", CIRCLED.sub(" ", text)).lower())
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)


@functools.cache
def _general_idf() -> tuple[dict[str, float], float]:
    """jieba's inverse document frequencies of Chinese words (from its general corpus) and their median."""
    posseg()
    import jieba.analyse

    table = jieba.analyse.default_tfidf
    return table.idf_freq, float(table.median_idf)


def load_tables() -> None:
    """Load jieba's part-of-speech model and general word frequencies now rather than at the first check."""
    _general_idf()


def general_idf(term: Term) -> float:
    """How informative a term is in general Chinese text: "工作" says little, "备份" much; words jieba's table
    lacks (names, English words, numbers) count as its median. The table is simplified Chinese: "作為" is looked up as
    "作为", or every traditional word would count as rare as a name."""
    table, median = _general_idf()
    return table.get(simplified(term.text), median) if term.kind == "cjk" else median


class KBRarity:
    """How rare a term is among one knowledge base's chunks: BM25's idf, ln((N + 1) / (df + 0.5)), from the
    document frequencies of the KB's lexical index (``frequencies(tokens) -> (counts, N)``). A KB about one
    product or company names it in most chunks, so a passage that holds only that name is not about a question
    on its founder or its CEO; weighted by this, the word the question turns on counts for what it tells apart.
    A term is looked up as the index's own token where the KB holds it, else as its rarest part."""

    def __init__(self, frequencies: Callable[[list[str]], tuple[list[int], int]]) -> None:
        self._frequencies = frequencies

    def __call__(self, term: Term) -> float:
        df, total = self.frequency(term)
        return math.log((total + 1) / (df + 0.5)) if total > 0 else 1.0

    def frequency(self, term: Term) -> tuple[int, int]:
        """How many chunks hold the term, and how many there are."""
        # an English term is a Snowball stem already, the index's form: stemming it again can change it ("releas")
        tokens = [term.text] if term.kind == "latin" else tokenize(term.text)
        if not tokens:
            return 0, 0
        try:
            counts, total = self._frequencies(tokens)
        except Exception as error:  # noqa: BLE001
            # a weight, not the answer: a KB whose index cannot be read weighs words alike
            logger.warning("the KB's word counts could not be read (%s); the answer check weighs words alike. "
                           "Run `python -m kb_assistant ingest` on the KB's folder to rebuild its search index", error)
            return 0, 0
        own = term.text.lower()
        parts = [c for t, c in zip(tokens, counts, strict=True) if t != own]
        df = counts[tokens.index(own)] if own in tokens else 0
        # a word the KB never holds whole but does in parts is only cut another way there ("法学专业": 法学, 专业)
        return min(df if df or not parts else min(parts), total), total


def claimed_terms(text: str, whole_names: bool = False) -> list[Term]:
    """The terms of ``text`` a source must contain for the text to be supported by it; with ``whole_names``, a name
    jieba could not read is one term that must be found whole (``chinese_words.unread_names``: for questions)."""
    text = unicodedata.normalize("NFKC", CIRCLED.sub(" ", text))
    terms: list[Term] = []
    for number in numbers_in(re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)):
        terms.append(Term(number, "number", True, max(len(number), 2)))
    stem = english_root_stem()
    previous = ""
    for match in _LATIN.finditer(text):
        word, lower = match.group(0), match.group(0).lower()
        asks = lower in _ASKING_EN.get(previous, ())
        previous = lower
        if lower in _STOP_EN or len(lower) < 2 or asks:
            continue
        opens_sentence = not text[: match.start()].rstrip() or text[: match.start()].rstrip()[-1] in ".!?。！？\n"
        # a name, an acronym or a code; a capital that only opens a sentence says nothing. A code word
        # ("embed_query") is matched as written: stemmed, it ends in "queri", which no text holds; a placeholder
        # ("<your_api_key>") is the reader's to fill in
        code = "_" in word and text[match.start() - 1 : match.start()] not in ("<", "{")
        strict = code or any(c.isdigit() for c in word) or word.isupper() or (word[0].isupper() and not opens_sentence)
        terms.append(Term(lower if code else stem(lower), "latin", strict, 3.0, *run_at(text, match.start())))
    cjk_runs = HAN_RUNS.findall(text)
    if cjk_runs:
        words: list[tuple[str, str, str]] = []
        names: dict[int, tuple[int, str]] = {}
        with jieba_lock:
            for run in cjk_runs:
                tagged = tagged_words(run)
                # a school's or firm's name is found whole or not at all: "青海川中学" is no school of "湟川中学"
                names.update({len(words) + i: (len(words) + end, name)
                              for i, (end, name) in institution_names(tagged, _interrogative).items()})
                if whole_names:
                    names.update({len(words) + i: (len(words) + end, name)
                                  for i, (end, name) in unread_names(tagged, _asks).items()})
                words += tagged
        previous = ""
        skip_to = 0
        in_kind = False  # the nouns after a word that asks say what kind of thing is asked for ("哪一种抗争方式")
        for index, (word, plain, flag) in enumerate(words):
            if index < skip_to:
                continue
            if index in names:
                skip_to, name = names[index]
                terms.append(Term(name, "cjk", True, float(len(name))))
                previous, in_kind = "", False
                continue
            # "哪一所" / "哪一事件" / "哪一首歌" / "哪座城市" cut as 哪 / 一所, 哪 / 一, 哪 / 一首歌, 哪 / 座: what follows 哪 asks
            # too; so does a kind whose members are named without it ("哪种语言": 西班牙语)
            after_which = ((previous == "哪" and (plain == "一" or _ONE_AND_MEASURE.match(plain) is not None
                                                  or re.fullmatch(_MEASURE_ZH, plain) is not None))
                           or (plain in _NAMED_WITHOUT_KIND_ZH and _interrogative(previous)))
            previous = plain
            if _asks(plain) or not HAN.search(word) or after_which:
                in_kind = _interrogative(plain) or after_which
                continue
            in_kind = in_kind and flag.startswith("n") and not flag.startswith(("nr", "nt"))
            numeric = flag == "m" and bool(_CHINESE_NUMERAL.search(plain))
            # jieba's dictionary tags some common words as proper nouns (抗争 nz) or places (大洋, 城市 ns): describing
            # the kind asked for, such a word names nothing a source that answers must hold ("樹坐是一種活動形式，抗議者坐在
            # 樹上"; "本鱼分布于印度西太平洋区" for "……分布在哪个大洋区？")
            strict = ((flag.startswith(_STRICT_POS[:4]) and not phrase_tagged_as_name(plain, flag)
                       and not (in_kind and flag in ("nz", "ns"))) or numeric or plain in _COMPARING_ZH)
            terms.append(Term(word, "cjk", strict, float(len(word))))
    return terms


@dataclass(frozen=True)
class TermIndex:
    """A text prepared for term look-ups: its normalised form, numbers and English stems."""

    text: str
    numbers: frozenset[str]
    stems: frozenset[str]
    raw: str = field(default="", compare=False, repr=False)

    @classmethod
    def of(cls, text: str) -> TermIndex:
        """Index ``text``."""
        norm = normalise(text)
        stem = english_root_stem()
        return cls(
            norm,
            frozenset(numbers_in(norm)),
            frozenset(stem(w) for w in re.findall(r"[a-zß-öø-ɏ][a-z0-9ß-öø-ɏ]*", norm) + inner_words(text)),
            text,
        )

    def has(self, term: Term) -> bool:
        """Whether the text contains the term."""
        if term.kind == "number":  # a ratio "20:1" is written "20 to 1" or "20比1" as often
            first, _, second = term.text.partition(":")
            return term.text in self.numbers or (bool(second) and re.search(
                rf"(?<![\d.]){re.escape(first)}\s*(?:to|比|对)\s*{re.escape(second)}(?![\d.])", self.text) is not None)
        if term.kind == "latin":
            found = (term.text in self.stems or starts_a_word(self.text, term.text)
                     or holds_root(self.text, word_root(term.text)))  # "suburban" said as "suburbs"
            if found or written_otherwise(term.text, self.stems):
                return True
            parts = [part for part in term.text.split("-") if part]
            if len(parts) > 1 and all(part in self.stems for part in parts):
                return True  # "anti-inflammatori", "third-parti": the stem's last letters are not the text's
            # "Transformer-Decoder" where a slide wrote "Transformer- Decoder"
            spaced = r"\s*-\s*".join(map(re.escape, term.text.split("-")))
            return "-" in term.text and re.search(spaced, self.text) is not None
        spelled = in_digits(term.text)  # "三个" in a text that writes "3个"
        return simplified(term.text) in self.text or bool(spelled and spelled.search(self.text))

    def has_near(self, term: Term) -> bool:
        """``has``, and for a plain English word of five letters or more, also one letter off (a question's
        typo: "ARPNET" for ARPANET), and a name written in another form (``name_forms.named_otherwise``: "UMC",
        "Twigg" for "Graham Twigg"); words with digits, numbers and Chinese words must match exactly."""
        if self.has(term):
            return True
        if term.kind != "latin" or not term.text.isalpha():
            return False
        if len(term.text) >= 5 and any(one_edit(term.text, s) for s in self.stems if abs(len(s) - len(term.text)) <= 1):
            return True
        return term.strict and bool(term.run) and named_otherwise(term.text, term.run, term.place, name_runs(self.raw))

    def names_all(self, terms: list[Term]) -> bool:
        """Whether the text holds each term of ``terms`` that names something (names, places, numbers; ``has_near``)."""
        return all(self.has_near(t) for t in terms if t.names)


def coverage(terms: list[Term], index: TermIndex) -> float:
    """The weighted share of ``terms`` found in the indexed text (1.0 for no terms)."""
    total = sum(t.weight for t in terms)
    if not total:
        return 1.0
    return sum(t.weight for t in terms if index.has(t)) / total
