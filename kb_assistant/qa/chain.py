"""Retrieval QA with sources: rewrite follow-ups, retrieve, fit the context by tokens, answer, verify, cite.

``build_qa_chain`` returns a Runnable. Input: a question string, or ``{"question": ..., "history":
[(question, answer), ...]}``. Output: ``{"answer", "status", "sources", "question", "standalone_question",
"raw_answer", "corrections", "usage", "asked_as"}``, where ``answer`` is the verified answer (see ``qa.grounding``) and
``asked_as`` the question as asked again in the other language (see ``stream``), or None.

``stream`` yields, in order:

1. ``{"question", "standalone_question", "sources": [...], "source_documents": [Document, ...]}``: the
   passages given to the model, at once;
2. ``{"answer": text}`` pieces: the model's draft as it is generated;
3. ``{"usage": {"input_tokens", "output_tokens", "total_tokens"}}`` when the model reports it (the whole
   prompt, retrieved context included), and ``{"finish": reason}`` when it says why it stopped ("length": the
   token limit cut the draft, whose unfinished last sentence is then left out of the answer, as the one a loop
   stopped by the repetition guard leaves);
4. ``{"retry": {"question", "sources"}}`` where the answer was refused because the passages that may hold it are
   in the other language than the question's: the question is asked again in that language (``question``, the
   model's translation), with the passages found for it (``sources``); the draft so far is void, and 2 and 3
   follow again for the new draft (:mod:`kb_assistant.qa.other_language`);
5. ``{"verified": {"answer", "status", "corrections", "sources", "asked_as"}}`` last: the answer to show, with
   ``status`` "answered", "extractive" (a quoted sentence) or "refused", and each source marked ``used``
   with the sentence that supports the answer (``evidence``); ``asked_as``: the question as asked again, or None.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator
from dataclasses import asdict
from typing import Any

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import ensure_config

from kb_assistant.config import Settings
from kb_assistant.qa.answer_text import (
    as_said,
    is_marker_only,
    unwrap_paragraphs,
    without_markers,
    without_unfinished_end,
)
from kb_assistant.qa.follow_ups import is_elliptic, names_an_item, resolve_follow_up
from kb_assistant.qa.grounding import GroundingCheck, Verdict
from kb_assistant.qa.other_language import (
    ASKED_AS,
    as_translation,
    refused_for_language,
    translation_messages,
)
from kb_assistant.qa.prompts import (
    ANSWER_SYSTEM,
    GENERAL,
    REFUSE,
    REWRITE,
    in_script_of,
    language_of,
    not_found,
    refers_back,
    refusal_for_kb,
)
from kb_assistant.qa.sources import Source, passage_of, source_label, sources_of
from kb_assistant.qa.terms import KBRarity, TermIndex, asked_terms

logger = logging.getLogger(__name__)

History = list[tuple[str, str]]


def _drops_what_is_asked(question: str, rewritten: str) -> bool:
    """Whether a rewritten follow-up keeps less than half of the follow-up's own words (weighted): the small model
    rewrote "And what is required when it binds to another address?" as "What is the port that the HTTP server
    listens on?", and the earlier question was answered again."""
    own = asked_terms(question)
    total = sum(t.weight for t in own)
    if not total:
        return False  # "那它呢？": nothing of its own to keep
    kept = TermIndex.of(rewritten)
    return sum(t.weight for t in own if kept.has(t)) < 0.5 * total


def _same_text(text: str) -> str:
    """``text`` without spaces, punctuation or case: for telling whether two questions are the same."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _normalise_input(value: Any) -> tuple[str, History]:
    if isinstance(value, str):
        return value, []
    if isinstance(value, dict):
        question = value.get("question") or value.get("query") or value.get("input")
        if not isinstance(question, str) or not question.strip():
            msg = "the QA chain needs a non-empty 'question'"
            raise ValueError(msg)
        history = [(str(q), str(a)) for q, a in value.get("history") or []]
        return question, history
    msg = f"the QA chain takes a question string or a dict, not {type(value).__name__}"
    raise TypeError(msg)


def _added(spent: dict[str, int], usage: dict[str, Any]) -> dict[str, int]:
    """A usage report with the token counts of ``spent`` added."""
    keys = ("input_tokens", "output_tokens", "total_tokens")
    return {k: int(spent.get(k, 0)) + int(usage.get(k, 0) or 0) for k in keys if k in usage or k in spent}


def _count_tokens(llm: BaseChatModel, text: str) -> int:
    counter = getattr(llm, "count_tokens", None)
    if callable(counter):
        return int(counter(text))
    return llm.get_num_tokens(text)


class QAChain(Runnable[Any, dict[str, Any]]):
    """The retrieval QA pipeline as a LangChain Runnable (invoke / stream / batch and async forms)."""

    def __init__(
        self,
        retriever: BaseRetriever,
        llm: BaseChatModel,
        *,
        answer_mode: str = "refuse",
        context_tokens: int | None = None,
        max_history_turns: int = 4,
        min_relevance: float | None = None,
        grounding: GroundingCheck | None = None,
        ask_in_other_language: bool = True,
    ) -> None:
        self.retriever = retriever
        self.ask_in_other_language = ask_in_other_language
        self.llm = llm
        self.answer_mode = answer_mode
        self.min_relevance = min_relevance
        self.grounding = grounding
        window = getattr(llm, "context_window", 4096)
        answer_budget = getattr(llm, "max_new_tokens", None) or 512
        # Room for the instructions, the history and the question is kept out of the context budget.
        self.context_tokens = context_tokens or max(512, min(window - answer_budget - 600, 6000))
        self.max_history_turns = max_history_turns

    # --- steps ---------------------------------------------------------------------------------
    def standalone_question(self, question: str, history: History, config: RunnableConfig | None = None) -> str:
        """Rewrite a follow-up into a stand-alone question, only when it refers back to the conversation: by rule
        where a pronoun or an ellipsis says what it stands for (:mod:`kb_assistant.qa.follow_ups`), else by the chat
        model."""
        if not history or not (refers_back(question) or is_elliptic(question) or names_an_item(question)):
            return question
        resolved = resolve_follow_up(question, history[-self.max_history_turns :])
        if resolved:
            logger.info("resolved %r -> %r", question, resolved)
            return resolved
        if not (refers_back(question) or is_elliptic(question)):
            return question  # an item named by its place that no list of the last answer holds: asked as it is
        lang = language_of(question)
        # Earlier answers' citation numbers belong to their own sources: the rewriter copied them into the question.
        turns = "\n".join(f"Q: {q}\nA: {without_markers(a)}" for q, a in history[-self.max_history_turns :])
        prompt = REWRITE[lang].format(history=turns, question=question)
        rewritten = without_markers(str(self.llm.invoke([HumanMessage(prompt)], config=config).content)).strip()
        rewritten = rewritten.splitlines()[0].strip() if rewritten else ""
        logger.info("rewrote %r -> %r", question, rewritten)
        earlier = {_same_text(q) for q, _ in history}
        if _same_text(rewritten) in earlier and _same_text(rewritten) != _same_text(question):
            # the small model sometimes "rewrites" a follow-up as an earlier question, which would be answered again
            logger.info("the rewrite repeated an earlier question; %r is asked as it is", question)
            return question
        if rewritten and _drops_what_is_asked(question, rewritten):
            logger.info("the rewrite left out what %r asks; it is asked as it is", question)
            return question
        return rewritten or question

    def fit_context(self, docs: list[Document]) -> list[Document]:
        """Whole chunks, best first, until the token budget is spent (a chunk is never cut)."""
        kept, used = [], 0
        for doc in docs:
            cost = _count_tokens(self.llm, doc.page_content) + 12
            if kept and used + cost > self.context_tokens:
                break
            kept.append(doc)
            used += cost
        return kept

    def messages(self, question: str, history: History, docs: list[Document]) -> list[BaseMessage]:
        """The chat messages sent to the model."""
        lang = language_of(question)
        context = "\n\n".join(f"[{i}] ({source_label(d.metadata)})\n{unwrap_paragraphs(d.page_content)}"
                                for i, d in enumerate(docs, start=1))
        fallback = (GENERAL if self.answer_mode == "general" else REFUSE)[lang]
        out: list[BaseMessage] = [SystemMessage(ANSWER_SYSTEM[lang].format(context=context, fallback=fallback))]
        for q, a in history[-self.max_history_turns :]:
            out += [HumanMessage(q), AIMessage(as_said(a))]
        out.append(HumanMessage(question))
        return out

    @staticmethod
    def sources(docs: list[Document], verdict: Verdict | None = None) -> list[Source]:
        """Citable descriptions of the chunks given to the model; with a verdict, which ones the answer uses
        and the sentence of each that supports it."""
        return sources_of(docs, verdict)

    def verify(self, question: str, answer: str, docs: list[Document]) -> Verdict:
        """The grounding check of ``answer`` against the chunks the model was given."""
        passages = [passage_of(d) for d in docs]
        if self.grounding is None:  # the raw text, but never an empty or marker-only "answer"
            if not docs or is_marker_only(answer):
                return Verdict(not_found(question, [p.own_words() for p in passages]), "refused", [], [], {})
            return Verdict(answer.strip(), "answered", [], [], {})
        return self.grounding.check(question, answer, passages)

    # --- Runnable ------------------------------------------------------------------------------
    def _prepare(self, value: Any, config: RunnableConfig | None) -> tuple[str, str, History, list[Document], bool]:
        question, history = _normalise_input(value)
        standalone = self.standalone_question(question, history, config)
        docs = self.fit_context(self.retriever.invoke(standalone, config=config))
        return question, standalone, history, docs, self._relevant(docs)

    def has_evidence(self, docs: list[Document]) -> bool:
        """False when no chunk shares a search term with the question and none is semantically close.

        A cheap gate before generation: the grounding check after it catches the rest.
        """
        if not docs or self.min_relevance is None:
            return bool(docs)
        if any(d.metadata.get("bm25_score") for d in docs):
            return True
        dense = [d.metadata.get("dense_score") for d in docs if d.metadata.get("dense_score") is not None]
        return not dense or max(dense) >= self.min_relevance

    def stream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[dict[str, Any]]:
        config = ensure_config(config)
        question, standalone, history, docs, relevant = self._prepare(input, config)
        yield {
            "question": question,
            "standalone_question": standalone,
            "sources": [asdict(s) for s in self.sources(docs)],
            "source_documents": docs,
        }
        spent: dict[str, int] = {}
        verdict, draft = yield from self._answer(question, standalone, history, docs, relevant, config, spent)
        asked = self._asked_again(standalone, verdict, config, spent)
        if asked is not None:
            docs = self.fit_context(self.retriever.invoke(asked, config=config))
            yield {"retry": {"question": asked, "sources": [asdict(s) for s in self.sources(docs)]}}
            again, draft = yield from self._answer(asked, asked, [], docs, self._relevant(docs), config, spent)
            if again.status != "answered":
                # both languages searched: the plain refusal is true now. A quote is the check's way out of a draft
                # it refused; after a translation, it was about the question 0 times in 4 (other_language's note)
                again = Verdict(not_found(question), "refused", again.claims, again.corrections, {})
            else:
                again.answer = in_script_of(question, ASKED_AS[language_of(question)].format(question=asked)) + again.answer
            yield {"verified": self._verified(again, docs, draft, asked)}
            return
        yield {"verified": self._verified(verdict, docs, draft)}

    def _answer(self, question: str, standalone: str, history: History, docs: list[Document], relevant: bool,
                config: RunnableConfig, spent: dict[str, int]) -> Generator[dict[str, Any], None, tuple[Verdict, str]]:
        """One pass: the draft streamed as it is generated, then its verdict (and the draft) returned. ``spent``: the
        tokens of the request's earlier model calls, added to this one's usage report (and this one's added to it)."""
        if not docs or not relevant:
            refusal = refusal_for_kb(question, not_found(question, [passage_of(d).own_words() for d in docs]),
                                     self._english_share())
            yield {"answer": refusal}
            return Verdict(refusal, "refused", [], [], {}), ""
        draft, finish, before = "", None, dict(spent)
        for chunk in self.llm.stream(self.messages(question, history, docs), config=config):
            if chunk.content:
                draft += str(chunk.content)
                yield {"answer": str(chunk.content)}
            if getattr(chunk, "usage_metadata", None):
                spent.clear()
                spent.update(_added(before, dict(chunk.usage_metadata)))  # type: ignore[arg-type]
                yield {"usage": dict(spent)}
            finish = (getattr(chunk, "response_metadata", None) or {}).get("finish_reason") or finish
        if finish:
            yield {"finish": finish}
        verdict = self.verify(standalone, without_unfinished_end(draft, cut=finish == "length"), docs)
        if self.answer_mode == "general" and verdict.status == "refused" and draft.strip():
            verdict = Verdict(draft.strip(), "answered", verdict.claims, verdict.corrections, {})  # said to be its own
        if verdict.status == "refused":
            verdict.answer = refusal_for_kb(question, verdict.answer, self._english_share())
        return verdict, draft

    def _relevant(self, docs: list[Document]) -> bool:
        return self.answer_mode != "refuse" or self.has_evidence(docs)

    def _asked_again(self, question: str, verdict: Verdict, config: RunnableConfig, spent: dict[str, int]) -> str | None:
        """``question`` in the other language, where it was refused because the passages that may answer it are in
        that language (:mod:`kb_assistant.qa.other_language`); None where it is not asked again."""
        if verdict.status != "refused" or not self.ask_in_other_language:
            return None
        if not refused_for_language(question, verdict.answer):
            return None
        message = self.llm.invoke(translation_messages(question), config=config)
        if getattr(message, "usage_metadata", None):
            spent.update(_added(spent, dict(message.usage_metadata)))  # type: ignore[arg-type]
        asked = as_translation(reply := str(message.content), question)
        logger.info("asked again in the other language: %r -> %r", question, asked or reply)
        return asked

    def _english_share(self) -> float | None:
        """The share of the KB's chunks in English, where the retriever knows it (ours does; others: None)."""
        try:
            share = getattr(self.retriever, "english_share", None)
        except Exception:  # a KB that cannot say leaves the refusal as it is
            logger.debug("the KB's English share is unknown", exc_info=True)
            return None
        return share if isinstance(share, float) else None

    def _verified(self, verdict: Verdict, docs: list[Document], draft: str, asked: str | None = None) -> dict[str, Any]:
        return {
            "answer": verdict.answer,
            "status": verdict.status,
            "corrections": verdict.corrections,
            "sentences": len(verdict.claims),
            "dropped": [{"sentence": c.text, "reason": c.reason} for c in verdict.claims if not c.kept],
            "sources": [asdict(s) for s in self.sources(docs, verdict)],
            "changed": verdict.answer.strip() != draft.strip(),
            "asked_as": asked,
        }

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> dict[str, Any]:
        result: dict[str, Any] = {"raw_answer": "", "asked_as": None}
        for part in self.stream(input, config, **kwargs):
            if "verified" in part:
                verified = part["verified"]
                result.update(answer=verified["answer"], status=verified["status"], sources=verified["sources"],
                              corrections=verified["corrections"], dropped=verified["dropped"],
                              sentences=verified["sentences"])
            elif "retry" in part:  # the draft so far answered the question as first asked
                result.update(raw_answer="", asked_as=part["retry"]["question"])
            elif "answer" in part:
                result["raw_answer"] += part["answer"]
            else:
                result.update(part)
        result["raw_answer"] = result["raw_answer"].strip()
        return result


def build_qa_chain(
    retriever: BaseRetriever,
    llm: BaseChatModel,
    *,
    answer_mode: str = "refuse",
    context_tokens: int | None = None,
    min_relevance: float | None = None,
    grounding: GroundingCheck | None | str = "auto",
    ask_in_other_language: bool = True,
) -> QAChain:
    """A retrieval QA Runnable over any retriever and any LangChain chat model (local, or ChatOpenAI on vLLM).

    Answers are checked against their sources by default (``grounding="auto"``: a ``GroundingCheck`` with
    the retriever's embedding model when it has one, else lexical only, and the question's words weighed by
    their rarity in the KB where the retriever counts them, ``term_frequencies``); pass ``grounding=None`` for the
    model's raw text. ``min_relevance`` adds the cheap gate before generation (the CLI and server use the
    ``min_relevance`` setting). ``ask_in_other_language``: a question refused because the passages that may answer
    it are in the other language is translated and asked again in theirs (:mod:`kb_assistant.qa.other_language`).
    """
    if grounding == "auto":
        embeddings = getattr(retriever, "embeddings", None)
        frequencies = getattr(retriever, "term_frequencies", None)
        grounding = GroundingCheck(embeddings, rarity=KBRarity(frequencies) if frequencies else None)
    return QAChain(
        retriever,
        llm,
        answer_mode=answer_mode,
        context_tokens=context_tokens,
        min_relevance=min_relevance,
        grounding=grounding if isinstance(grounding, GroundingCheck) else None,
        ask_in_other_language=ask_in_other_language,
    )


def qa_chain_for(retriever: BaseRetriever, llm: BaseChatModel, settings: Settings) -> QAChain:
    """``build_qa_chain`` as the settings say (answer mode, the relevance gate, the answer check): what the CLI,
    the server and ``eval`` use."""
    return build_qa_chain(
        retriever,
        llm,
        answer_mode=settings.answer_mode,
        min_relevance=settings.min_relevance,
        grounding="auto" if settings.answer_check else None,
        ask_in_other_language=settings.ask_in_other_language,
    )


def build_retrieval_qa(retriever: BaseRetriever, llm: Any) -> Any:
    """The classic ``RetrievalQA`` (langchain-classic) with source documents, for people who know that API."""
    from langchain_classic.chains import RetrievalQA

    return RetrievalQA.from_chain_type(llm=llm, retriever=retriever, return_source_documents=True)
