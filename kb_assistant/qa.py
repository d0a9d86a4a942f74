"""Retrieval QA with sources: rewrite follow-ups, retrieve, fit the context by tokens, answer, cite.

``build_qa_chain`` returns a Runnable. Input: a question string, or ``{"question": ..., "history":
[(question, answer), ...]}``. Output: ``{"answer", "sources", "question", "standalone_question"}``.
``stream`` yields ``{"sources": [...]}`` first (so a UI can show them at once), then ``{"answer": token}``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import ensure_config

from kb_assistant.prompts import ANSWER_SYSTEM, GENERAL, NOT_FOUND, REFUSE, REWRITE, language_of, refers_back

logger = logging.getLogger(__name__)

History = list[tuple[str, str]]


@dataclass(frozen=True)
class Source:
    """One cited chunk, as shown to users."""

    number: int
    source: str
    page: int | None
    headings: str | None
    snippet: str
    score: float | None


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
    ) -> None:
        self.retriever = retriever
        self.llm = llm
        self.answer_mode = answer_mode
        self.min_relevance = min_relevance
        window = getattr(llm, "context_window", 4096)
        answer_budget = getattr(llm, "max_new_tokens", None) or 512
        # Room for the instructions, the history and the question is kept out of the context budget.
        self.context_tokens = context_tokens or max(512, min(window - answer_budget - 600, 6000))
        self.max_history_turns = max_history_turns

    # --- steps ---------------------------------------------------------------------------------
    def standalone_question(self, question: str, history: History, config: RunnableConfig | None = None) -> str:
        """Rewrite a follow-up into a stand-alone question, only when it refers back to the conversation."""
        if not history or not refers_back(question):
            return question
        lang = language_of(question)
        turns = "\n".join(f"Q: {q}\nA: {a}" for q, a in history[-self.max_history_turns :])
        prompt = REWRITE[lang].format(history=turns, question=question)
        rewritten = str(self.llm.invoke([HumanMessage(prompt)], config=config).content).strip()
        rewritten = rewritten.splitlines()[0].strip() if rewritten else ""
        logger.info("rewrote %r -> %r", question, rewritten)
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
        context = "\n\n".join(f"[{i}] ({source_label(d.metadata)})\n{d.page_content}" for i, d in enumerate(docs, start=1))
        fallback = (GENERAL if self.answer_mode == "general" else REFUSE)[lang]
        out: list[BaseMessage] = [SystemMessage(ANSWER_SYSTEM[lang].format(context=context, fallback=fallback))]
        for q, a in history[-self.max_history_turns :]:
            out += [HumanMessage(q), AIMessage(a)]
        out.append(HumanMessage(question))
        return out

    @staticmethod
    def sources(docs: list[Document]) -> list[Source]:
        """Citable descriptions of the chunks given to the model."""
        return [
            Source(
                number=i,
                source=str(d.metadata.get("source", "?")),
                page=d.metadata.get("page"),
                headings=d.metadata.get("headings"),
                snippet=d.page_content[:300],
                score=d.metadata.get("score"),
            )
            for i, d in enumerate(docs, start=1)
        ]

    # --- Runnable ------------------------------------------------------------------------------
    def _prepare(self, value: Any, config: RunnableConfig | None) -> tuple[str, str, History, list[Document]]:
        question, history = _normalise_input(value)
        standalone = self.standalone_question(question, history, config)
        docs = self.fit_context(self.retriever.invoke(standalone, config=config))
        if self.answer_mode == "refuse" and not self.has_evidence(docs):
            docs = []
        return question, standalone, history, docs

    def has_evidence(self, docs: list[Document]) -> bool:
        """False when no chunk shares a search term with the question and none is semantically close.

        Small models answer from their own knowledge even when told not to; this gate refuses for them.
        """
        if not docs or self.min_relevance is None:
            return bool(docs)
        if any(d.metadata.get("bm25_score") for d in docs):
            return True
        dense = [d.metadata.get("dense_score") for d in docs if d.metadata.get("dense_score") is not None]
        return not dense or max(dense) >= self.min_relevance

    def stream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[dict[str, Any]]:
        config = ensure_config(config)
        question, standalone, history, docs = self._prepare(input, config)
        yield {
            "question": question,
            "standalone_question": standalone,
            "sources": [asdict(s) for s in self.sources(docs)],
        }
        if not docs and self.answer_mode == "refuse":
            yield {"answer": NOT_FOUND[language_of(question)]}
            return
        for chunk in self.llm.stream(self.messages(question, history, docs), config=config):
            if chunk.content:
                yield {"answer": str(chunk.content)}

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> dict[str, Any]:
        result: dict[str, Any] = {"answer": ""}
        for part in self.stream(input, config, **kwargs):
            if "answer" in part:
                result["answer"] += part["answer"]
            else:
                result.update(part)
        result["answer"] = result["answer"].strip()
        return result


def source_label(meta: Mapping[str, Any]) -> str:
    """``file, p. N`` for pages, ``file > heading path`` for sections."""
    where = str(meta.get("source", "?"))
    if meta.get("page") is not None:
        where += f", p. {meta['page']}"
    elif meta.get("headings"):
        where += f" > {meta['headings']}"
    return where


def build_qa_chain(
    retriever: BaseRetriever,
    llm: BaseChatModel,
    *,
    answer_mode: str = "refuse",
    context_tokens: int | None = None,
    min_relevance: float | None = None,
) -> QAChain:
    """A retrieval QA Runnable over any retriever and any LangChain chat model (local, or ChatOpenAI on vLLM)."""
    return QAChain(
        retriever, llm, answer_mode=answer_mode, context_tokens=context_tokens, min_relevance=min_relevance
    )


def build_retrieval_qa(retriever: BaseRetriever, llm: Any) -> Any:
    """The classic ``RetrievalQA`` (langchain-classic) with source documents, for people who know that API."""
    from langchain_classic.chains import RetrievalQA

    return RetrievalQA.from_chain_type(llm=llm, retriever=retriever, return_source_documents=True)
