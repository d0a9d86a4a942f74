"""When a claim's evidence is about the question: the relevance gate of the grounding check
(:class:`kb_assistant.qa.grounding.GroundingCheck`, whose settings these are).

Text the model pasted from a chunk on the same topic that does not answer the question has every word in a source;
what tells it apart is that the words around its evidence are not the question's, or not close to it in meaning.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb_assistant.qa.answer_kinds import asks_for_a_kind
from kb_assistant.qa.claims import Claim
from kb_assistant.qa.evidence import AboutTheQuestion
from kb_assistant.qa.prompts import language_of
from kb_assistant.qa.quotes import names_all_asked
from kb_assistant.qa.terms import TermIndex, coverage


@dataclass(frozen=True)
class RelevanceGate:
    """The thresholds of :class:`kb_assistant.qa.grounding.GroundingCheck` that say when evidence is about the question."""

    min_relevance: float
    min_relevance_lexical_only: float
    lexical_relevance_enough: float
    lexical_relevance_enough_en: float
    min_named_quote_relevance: float | None
    min_semantic_relevance: float | None = None
    """The similarity that admits evidence without the question's names in its passage; English questions are
    admitted at their own lower bar (``AboutTheQuestion.threshold``) only with them ("What body in India…?" is not
    answered from a passage about Kenya)."""

    def admits(self, claim: Claim, about: AboutTheQuestion, passage: TermIndex, sentence: str) -> bool:
        """Whether ``claim``'s evidence (``sentence``, its window, its ``passage``'s terms) is about the question or
        about one of its parts."""
        return (self.about_the_question(claim, about, passage, sentence)
                or self.about_a_part(claim, about, passage, sentence))

    def about_the_question(self, claim: Claim, about: AboutTheQuestion, passage: TermIndex, sentence: str) -> bool:
        """The evidence is about the question: enough of its informative words are there (``min_relevance``)
        and, with an embedding model, it is close to the question in meaning (``min_semantic_relevance``)
        unless most of them are (``lexical_relevance_enough``, ``lexical_relevance_enough_en`` for English
        questions: e5 scores English pairs lower than Chinese ones); without an embedding model, the words
        alone must reach ``min_relevance_lexical_only``. The names the question asks about must be in the
        evidence's window or elsewhere in its ``passage`` (headings and text)."""
        if about.unknown:
            return False  # the question names something no passage mentions ("CEO"): nothing here answers it
        window = TermIndex.of(claim.window)
        # the question names someone or something the evidence's passage does not: its words alone are not enough.
        # A passage names its subject once ("…schools in India…") and goes on without it ("The practice has been
        # for the union government to provide the broad policy directions…"), so the whole passage counts.
        named = all(window.has_near(t) or passage.has_near(t) for t in about.asked if t.names)
        if not about.active:
            return named and claim.relevance >= self.min_relevance_lexical_only
        if claim.relevance < self.min_relevance:
            return False
        # English words all weigh the same (Chinese ones by IDF), and e5 scores English pairs lower
        lexical = self.lexical_relevance_enough_en if language_of(about.question) == "en" else self.lexical_relevance_enough
        enough = named and claim.relevance >= lexical
        # as for a quote: the evidence sentence names all the question names and holds half its weighted terms, and
        # the question asks for a kind of thing (a year, a name…) that the check then sees named; "元朗千色汇主要有什么
        # 用途？" asks none, and a bus route past it names the place
        band = self.min_named_quote_relevance
        enough = enough or (band is not None and claim.relevance >= band and asks_for_a_kind(about.question)
                            and names_all_asked(sentence, about.asked))
        if enough or about.threshold is None:
            return enough
        similarity = about.similarity(claim.window)
        unnamed_bar = self.min_semantic_relevance if self.min_semantic_relevance is not None else about.threshold
        return similarity >= about.threshold and (named or similarity >= unnamed_bar)

    def about_a_part(self, claim: Claim, about: AboutTheQuestion, passage: TermIndex, sentence: str) -> bool:
        """The evidence is about one part of a question about several things (:meth:`about_the_question` with that
        part's terms); ``claim.relevance`` becomes the best part's."""
        window = TermIndex.of(claim.window)
        whole = claim.relevance
        for part in about.parts:
            if part.own and not any(window.has(t) for t in part.own):
                continue  # "2021年内地经济增长8.1%" is not about "2021年香港的GDP增长率", however much else it shares
            claim.relevance = coverage(part.asked, window)
            if self.about_the_question(claim, part, passage, sentence):
                return True
        claim.relevance = whole
        return False
