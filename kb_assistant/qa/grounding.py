"""The grounding check: every sentence of an answer must be supported by the sources it cites.

After the model has answered, each sentence is checked against the chunks the model was given:

- its *strict* terms (numbers, names, places, organisations, alphanumeric words) that the question does not
  already contain must all be found in a chunk, and most of its other new terms too (``min_coverage``), or,
  when the strict terms are found, the sentence must be close in meaning to a sentence of the chunk
  (``min_similarity``, with the embedding model the KB already loaded), or two chunks must hold them together,
  each holding a word the other lacks (a two-part question answered in one sentence; both are cited);
- the passage that supports it must be about the question: a share (``min_relevance``) of the question's
  terms, weighted by how informative they are, is found around the supporting sentence, and that text is
  close to the question in meaning (``min_semantic_relevance``, the embedding model's query-passage
  similarity, calibrated on multilingual-e5-small, which scores English pairs lower: ``min_semantic_relevance_en``
  for English questions). So text the model pasted from a chunk on the same topic
  that does not answer the question does not pass (the small model's most common way of inventing).

Unsupported sentences are dropped. Each ``[n]`` is checked: a citation of a chunk that does not support the
sentence is replaced by one that does. When nothing is left (or the model gave nothing, or only markers),
the best sentence of the chunks that answers the question is quoted instead ("根据资料[1]：……"); when no
sentence does, the answer is the refusal. The quote also replaces supported sentences whose evidence is
clearly less about the question than it (``min_quote_gain``): a true fact from the sentence next to the one
that answers is still a wrong answer; so is a number read from beside the one asked for (another clause's, or a
count of other things): the sentence that holds the number asked for is quoted. An FAQ's answer to its own
question replaces them when its question holds more of the question's terms, or all of them. A question about
several things ("香港和澳门的GDP增长率") is answered part by part: the sentences kept for one part stay, and each part
they leave out gets its own quote (:mod:`kb_assistant.qa.answer_parts`).

A command-line option or a setting name in the answer's code ("--api-key", "llm_model") must be in a chunk as
written, whatever else of the sentence is there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from kb_assistant.qa.across_languages import quote_across_languages
from kb_assistant.qa.answer_kinds import names_asked_place, only_an_article, unnamed_answer
from kb_assistant.qa.answer_parts import QuestionParts, own_terms, split_question
from kb_assistant.qa.answer_text import is_refusal, without_source_number
from kb_assistant.qa.asked_slot import filled_slot
from kb_assistant.qa.claims import (
    NOTHING_NEW,
    Claim,
    as_typed,
    code_literals,
    compose,
    drop_announcements,
    drop_headless_items,
    drop_repeats,
    echoes_headings,
    first_evidence,
    in_question_script,
    keep_table_frames,
    quotes_text,
    read_claims,
    repeats_the_asking,
)
from kb_assistant.qa.evidence import (
    AboutTheQuestion,
    Passage,
    Span,
    best_span,
    closest_in_meaning,
    held_together,
    relevance_window,
    sentence_scores,
)
from kb_assistant.qa.negations import contradicted, other_case, other_polarity
from kb_assistant.qa.number_clauses import other_number
from kb_assistant.qa.other_things import MOVED, moved_evidence, said_of_another_thing
from kb_assistant.qa.prompts import language_of, language_of_passage, not_found
from kb_assistant.qa.quotes import (
    Scores,
    best_quotable,
    names_all_asked,
    quote_answers_better,
    quote_close_in_meaning,
    row_to_quote,
)
from kb_assistant.qa.relevance_gate import RelevanceGate
from kb_assistant.qa.set_forms import words_said_in_set_forms
from kb_assistant.qa.spelled_numbers import restates_first
from kb_assistant.qa.table_cells import OTHER_COLUMN, OTHER_ROW, table_header, table_mismatch
from kb_assistant.qa.terms import (
    KBRarity,
    Term,
    TermIndex,
    asked_terms,
    claimed_terms,
    coverage,
    general_idf,
    without_preamble,
)
from kb_assistant.qa.verdict import Verdict


class GroundingCheck:
    """Checks answers against their passages; see the module docstring. Thread-safe, cheap to build.

    The defaults were chosen with ``benchmarks/grounding_sweep.py`` on kept answers of xquad_zh and
    cmrc2018_dev (README, "Answer quality"); ``min_semantic_relevance`` is a multilingual-e5 similarity.
    ``two_passage_support``: a sentence no passage holds alone may be held by two together (each holding a
    word of it the other lacks); it cites both. ``rarity`` weighs each of the question's words by how rare it
    is in the KB (:class:`kb_assistant.qa.terms.KBRarity`) on top of its general IDF, where relevance is measured.
    A quote needs ``min_quote_relevance`` of the question's weighted terms, or ``min_named_quote_relevance`` when
    the sentence itself names every name and number the question does (:func:`kb_assistant.qa.quotes.names_all_asked`;
    None: no such band); after the model's own refusal, also ``min_quote_relevance_after_refusal`` (by default the
    named band's: a sentence that names all the question names is quoted then too). Where no sentence clears those
    bars, one of the three that hold most of the question's words (``min_meaning_quote_relevance`` at least) is the
    quote when the embedding model finds it close to the question (``min_quote_similarity``, ``_en`` for an English
    question; None: never; :func:`kb_assistant.qa.quotes.quote_close_in_meaning`), after the model's refusal too.
    ``quote_names_asked``: a quote's passage (headings and text) must name the question's names and numbers, as a
    kept sentence's must ("1918年，米價急漲……" is no answer to "中原大戰在哪一年爆發?").
    ``across_languages``: where no sentence of the answer is supported, a sentence of a passage in the other language
    than the question's that names every name, code word and number a dropped sentence adds to the question is quoted
    (:mod:`kb_assistant.qa.across_languages`).
    """

    def __init__(
        self,
        embeddings: Any = None,
        *,
        min_coverage: float = 0.7,
        min_similarity: float = 0.92,
        min_relevance: float = 0.3,
        min_semantic_relevance: float | None = 0.87,
        min_semantic_relevance_en: float | None = 0.83,
        min_relevance_lexical_only: float = 0.5,
        lexical_relevance_enough: float = 0.6,
        lexical_relevance_enough_en: float = 0.45,
        min_quote_relevance: float = 0.6,
        min_named_quote_relevance: float | None = 0.5,
        min_quote_relevance_after_refusal: float = 0.5,
        min_quote_gain: float | None = 0.1,
        min_quote_similarity_gain: float = 0.02,
        min_meaning_quote_relevance: float = 0.35,
        min_quote_similarity: float | None = 0.91,
        min_quote_similarity_en: float | None = 0.87,
        two_passage_support: bool = True,
        quote_names_asked: bool = True,
        rarity: KBRarity | None = None,
        across_languages: bool = True,
    ) -> None:
        self.embeddings = embeddings
        self.rarity = rarity
        self.across_languages = across_languages
        self.two_passage_support = two_passage_support
        self.quote_names_asked = quote_names_asked
        self.min_coverage = min_coverage
        self.min_similarity = min_similarity
        self.min_relevance = min_relevance
        self.min_semantic_relevance = min_semantic_relevance
        self.min_semantic_relevance_en = min_semantic_relevance_en
        self.min_relevance_lexical_only = min_relevance_lexical_only
        self.lexical_relevance_enough = lexical_relevance_enough
        self.lexical_relevance_enough_en = lexical_relevance_enough_en
        self.min_quote_relevance = min_quote_relevance
        self.min_named_quote_relevance = min_named_quote_relevance
        self.min_quote_relevance_after_refusal = min_quote_relevance_after_refusal
        self.min_quote_gain = min_quote_gain
        self.min_quote_similarity_gain = min_quote_similarity_gain
        self.min_meaning_quote_relevance = min_meaning_quote_relevance
        self.min_quote_similarity, self.min_quote_similarity_en = min_quote_similarity, min_quote_similarity_en

    def check(self, question: str, answer: str, passages: Sequence[Passage]) -> Verdict:
        """Verify ``answer`` to ``question`` against ``passages`` (source n is ``passages[n-1]``)."""
        indexes = [TermIndex.of(p.own_words()) for p in passages]  # a claim must come from the text, not its headings
        asked = self._asked(question)
        asked_index = TermIndex.of(question)
        sentences = [p.sentences() for p in passages]
        claims = [] if is_refusal(answer) else read_claims(without_source_number(answer))
        corrections: list[str] = []
        everywhere = [TermIndex.of(f"{p.context}\n{p.text}{words_said_in_set_forms(p.text)}") for p in passages]
        similar = self.min_semantic_relevance_en if language_of(question) == "en" else self.min_semantic_relevance
        about = AboutTheQuestion(question, self.embeddings, similar, asked, everywhere)
        # a question about several things ("周明远和林晓雯的办公室分别在哪里？"): the sentence that answers one part is
        # about that part, though it names nothing of the other
        parts = split_question(question)
        own, part_asked = own_terms(parts), [self._asked(part) for part in parts]
        about.parts = [AboutTheQuestion(part, self.embeddings, similar, terms, everywhere, mine)
                       for part, terms, mine in zip(parts, part_asked, own, strict=True)]
        for claim in claims:
            self._check_claim(claim, asked, asked_index, passages, indexes, sentences, corrections, about)
        drop_headless_items(claims)
        drop_announcements(claims)
        drop_repeats(claims)
        keep_table_frames(claims)
        kept = [c for c in claims if c.kept]
        missing = unnamed_answer(question, [c.text for c in kept], asked) if kept else None
        if missing:
            for claim in kept:  # every word may be in the source, but it does not say what is asked
                claim.kept, claim.reason = False, f"the question asks for a {missing}; the answer names none"
            corrections.append(f"the answer named no {missing} for a question that asks for one")
            kept = []
        # sentences are scored for a quote, or for the rule that may replace a kept answer by one
        replaceable = self.min_quote_gain is not None and self.embeddings is not None
        scores = sentence_scores(question, passages, sentences, everywhere) if not kept or replaceable else {}
        # a quote comes from a passage that names the question's names; kept sentences are looked up in all scores
        quote = self._quotable(scores, question, asked, everywhere)
        rows = [c.evidence for c in claims if c.reason.startswith((OTHER_COLUMN, OTHER_ROW)) and c.evidence]
        if quote is None and rows and not kept:
            # the asked row under its header, the draft's when it is that row; a row is evidence like any other and
            # must be about the question ("Chief Information Officer" is one word of "Who are the chief editors of
            # the Pumpkin Book?", from an employee table retrieved first), or name all it names. Words tell that
            # within one language only: a row in another ("员工 1319 的职位是什么？" of an English table, "What was the
            # lowest score for 金融学类 in Shanghai in 2022?" of a Chinese one) is quoted as before
            quote = row_to_quote(rows[0], scores, question, asked)
            if (quote is not None and language_of_passage(quote[0].text) == language_of(question)
                    and not (names_all_asked(quote[0].text, asked)
                             or self._is_about(quote[0], asked, passages, sentences, about))):
                quote = None
        moved = moved_evidence(claims, scores)
        if moved is not None and not kept and not other_number(question, moved[1].text):
            # the sentence the question's words point to holds the number or the name asked for
            quote = (span := moved[1], scores[(span.number, span.start)][1] if (span.number, span.start) in scores else 0.0)
            corrections.append(f"the answer's {MOVED[moved[0]]} was read beside the one asked for; quoted the sentence that has it")
        meant = None if quote else self._quote_by_meaning(scores, question, asked, everywhere, passages, about)
        quote = quote or meant  # a sentence close in meaning is quoted after the model's own refusal too
        similarities = about.similarities if self.embeddings is not None else None
        better = (quote_answers_better(question, kept, scores, quote, passages, similarities, self.min_quote_gain,
                                       self.min_quote_similarity_gain) if kept else None)
        by_part = QuestionParts.of(parts, own, part_asked, passages, sentences, everywhere, self.min_quote_gain or 0.0,
                                 self.min_quote_relevance) if replaceable and parts else None
        if kept and better and quote is not None and by_part is not None and by_part.answer_more_than(kept, quote):
            better = None  # they answer a part of the question the quote does not; the quote is added below
        if kept and not better:
            text = compose(in_question_script(kept, question), question)
            evidence = first_evidence(kept)
            extra = by_part.left_out(kept) if by_part is not None else []
            if extra:
                text += "\n\n" + quotes_text(question, extra, passages, evidence)
                corrections.append("the answer left out a part of the question; quoted the source for it")
            return Verdict(text, "answered", claims, corrections, evidence)
        if kept:
            for claim in kept:
                claim.kept, claim.reason = False, f"{better}: the quote answers instead"
            corrections.append(f"the answer {better}; quoted the source")
        floor = self.min_quote_relevance_after_refusal if is_refusal(answer) and not meant else 0.0
        if quote is None and by_part is not None:
            quotes = [q for q in by_part.left_out([]) if q[1] >= floor]
        elif quote is not None and quote[1] >= floor:
            quotes = [quote] + (by_part.left_out([Claim(quote[0].text, [], evidence=quote[0])]) if by_part else [])
        else:
            quotes = []
        if quotes:
            evidence = {}
            text = quotes_text(question, quotes, passages, evidence)
            if not kept:
                corrections.append("no sentence of the answer was supported; quoted the source instead")
            return Verdict(text, "extractive", claims, corrections, evidence)
        across = (quote_across_languages(question, claims, passages, sentences, asked, self.embeddings)
                  if self.across_languages else None)
        if across is not None:
            evidence = {}
            text = quotes_text(question, [across], passages, evidence)
            corrections.append("the answer could not be checked in the sources' language; quoted the sentence that names "
                               "what it names")
            return Verdict(text, "extractive", claims, corrections, evidence)
        return Verdict(not_found(question, [p.own_words() for p in passages]), "refused", claims, corrections, {})

    def _is_about(self, span: Span, asked: list[Term], passages: Sequence[Passage],
                  sentences: list[list[tuple[str, int, int]]], about: AboutTheQuestion) -> bool:
        """Whether ``span`` passes the relevance gate a claim's evidence must pass (:class:`RelevanceGate`)."""
        claim = Claim(span.text, [], evidence=span)
        number = span.number
        claim.relevance, claim.window = relevance_window(asked, span, passages[number - 1], sentences[number - 1])
        return self._gate.admits(claim, about, about.passages[number - 1], span.text)

    def _asked(self, question: str) -> list[Term]:
        """The question's terms, each weighed by its general IDF and, with ``rarity``, its rarity in the KB."""
        return [dataclasses.replace(t, weight=general_idf(t) * (self.rarity(t) if self.rarity is not None else 1.0))
                for t in asked_terms(question)]

    # --- one sentence ----------------------------------------------------------------------------
    def _check_claim(self, claim: Claim, asked: list[Term], asked_index: TermIndex, passages: Sequence[Passage],
                     indexes: list[TermIndex], sentences: list[list[tuple[str, int, int]]], corrections: list[str],
                     about: AboutTheQuestion) -> None:
        terms = claimed_terms(without_preamble(claim.text)) + filled_slot(claim.text, about.question)
        # 一款 in "关于一款台灯" is the article "a", 第一款 the question's 首次: nothing the source must say
        new = [t for t in terms if not asked_index.has(t) and not only_an_article(t, about.question)
               and not names_asked_place(t, about.question) and not restates_first(t.text, about.question)]
        if not new or repeats_the_asking(claim.text, about.question):
            claim.reason = NOTHING_NEW
            return
        if echoes_headings(claim.text, passages, about.question):
            claim.reason = "names a source's headings, not an answer"
            return
        literals = code_literals(claim)
        typed = [as_typed(p.text) for p in passages] if literals else []
        scored = []
        for i, index in enumerate(indexes):
            missing = [t.text for t in new if t.strict and not index.has(t)]
            missing += [word for word in literals if word not in typed[i]]
            scored.append((i, missing, coverage(new, index)))
        support = [i for i, missing, cov in scored if not missing and cov >= self.min_coverage]
        if not support and self.embeddings is not None:
            near = [i for i, missing, cov in scored if not missing and cov >= self.min_coverage / 2]
            support = closest_in_meaning(self.embeddings, claim.text, near, sentences, self.min_similarity)
        together = False
        if not support and self.two_passage_support:
            support = held_together(new, indexes, self.min_coverage)
            if any(all(word not in typed[i] for i in support) for word in literals):
                support = []
            together = bool(support)
        if not support:
            strict = next((m for _, m, _ in scored if m), None)
            claim.reason = f"not in the sources: {', '.join(strict[:3])}" if strict else "not supported by the sources"
            return
        opposite = contradicted(claim.text, [p.text for p in passages], about.question)
        if opposite is not None:
            claim.reason = f"the sources say the opposite: {opposite}"
            return
        cited = [n for n in claim.cited if 1 <= n <= len(passages)]
        support_numbers = [i + 1 for i in support]
        if together or not any(n in support_numbers for n in cited):
            # the passage that holds more of the claim's words carries the evidence: an uncited sentence copied
            # from source 2 is not pinned on source 1 because 1 holds most of its words too
            support_numbers.sort(key=lambda n: -coverage(new, indexes[n - 1]))
        best = next((n for n in cited if n in support_numbers), support_numbers[0])
        span = best_span(terms, best, sentences[best - 1], passages[best - 1].text)
        header = table_header(passages[best - 1].text, span.start)
        mismatch = table_mismatch(asked, about.question, new, passages[best - 1].text, span.start, span.text,
                                  self.min_coverage, across_passages=together)
        if mismatch is not None:
            claim.reason, claim.evidence = mismatch, span  # the row is the answer's, its cell is not: it may be quoted
            return
        case = (other_case(about.question, span.text)
                or other_polarity(about.question, span.text, passages[best - 1].text))
        if case is not None:
            claim.reason = f"its source says it of the opposite case ({case})"
            return
        numbers = [t for t in new if t.kind == "number"]
        claim.relevance, claim.window = relevance_window(asked, span, passages[best - 1], sentences[best - 1])
        if together:  # a two-part question's words are split between the two passages as well
            other = next(n for n in support_numbers if n != best)
            own = [t for t in terms if not indexes[best - 1].has(t)] or terms  # what only the second one says
            claim.joint_evidence = best_span(own, other, sentences[other - 1], passages[other - 1].text)
            window = relevance_window(asked, claim.joint_evidence, passages[other - 1], sentences[other - 1])[1]
            claim.window += "\n" + window
            claim.relevance = coverage(asked, TermIndex.of(claim.window))
        passage = about.passages[best - 1]
        if not self._gate.admits(claim, about, passage, span.text):
            claim.reason = f"its source is not about the question (relevance {claim.relevance:.2f})"
            return
        other = said_of_another_thing(about.question, asked, claim.text, numbers, span, passages[best - 1],
                                      sentences[best - 1], header)
        if other is not None:
            claim.reason, moved = other
            if moved is not None:  # the sentence that holds the number asked for: quoted instead
                claim.evidence = moved
            return
        claim.support, claim.evidence, claim.kept = support_numbers, span, True
        wrong = [n for n in claim.cited if n not in support_numbers]
        if wrong or not claim.cited:
            marks = "".join(f"[{n}]" for n in (sorted(support_numbers) if together else [best]))
            corrections.append(f"cited {marks} instead of {', '.join(f'[{n}]' for n in wrong)}" if wrong else f"added {marks}")
        claim.cited = sorted(support_numbers) if together else [best]

    @property
    def _gate(self) -> RelevanceGate:
        return RelevanceGate(self.min_relevance, self.min_relevance_lexical_only, self.lexical_relevance_enough,
                             self.lexical_relevance_enough_en, self.min_named_quote_relevance, self.min_semantic_relevance)

    # --- the extractive fallback -----------------------------------------------------------------
    def best_quote(
        self,
        question: str,
        passages: Sequence[Passage],
        sentences: list[list[tuple[str, int, int]]] | None = None,
        indexes: list[TermIndex] | None = None,
    ) -> tuple[Span, float] | None:
        """The sentence of the passages that best answers the question, with its relevance; None when none
        reaches ``min_quote_relevance`` or every candidate only repeats the question. ``sentences`` and
        ``indexes`` (of each passage's headings and text) are computed when not given."""
        indexes = indexes if indexes is not None else [TermIndex.of(f"{p.context}\n{p.text}") for p in passages]
        asked = self._asked(question)
        return self._quotable(sentence_scores(question, passages, sentences, indexes), question, asked, indexes)

    def _quote_by_meaning(self, scores: Scores, question: str, asked: list[Term], indexes: list[TermIndex],
                          passages: Sequence[Passage], about: AboutTheQuestion) -> tuple[Span, float] | None:
        """A quote close to the question in meaning (:func:`kb_assistant.qa.quotes.quote_close_in_meaning`)."""
        threshold = self.min_quote_similarity_en if language_of(question) == "en" else self.min_quote_similarity
        if self.embeddings is None or threshold is None:
            return None
        return quote_close_in_meaning(self._naming(scores, asked, indexes), question, asked, passages,
                                      about.similarity, self.min_meaning_quote_relevance, threshold)

    def _quotable(self, scores: Scores, question: str, asked: list[Term], indexes: list[TermIndex]) -> tuple[Span, float] | None:
        """The best quote among ``scores`` (see :meth:`_naming`)."""
        return best_quotable(self._naming(scores, asked, indexes), question, asked, self.min_quote_relevance,
                             self.min_named_quote_relevance)

    def _naming(self, scores: Scores, asked: list[Term], indexes: list[TermIndex]) -> Scores:
        """The sentences of passages (``indexes``: headings and text) that name each of the question's strict terms,
        where ``quote_names_asked`` asks so."""
        if not self.quote_names_asked:
            return scores
        return {key: value for key, value in scores.items() if indexes[value[0].number - 1].names_all(asked)}
