"""A knowledge base as agent tools: ``search_<kb>`` returns passages with their sources, ``ask_<kb>`` a checked answer.

    from kb_assistant.qa.tools import kb_search_tool
    agent = create_agent(model, tools=[kb_search_tool()])
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel

from kb_assistant.config import Settings
from kb_assistant.qa.chain import qa_chain_for, source_label

_PASSAGE_CHARS = 800  # a tool result goes back into the model's prompt: keep five passages well inside a window


class _Query(BaseModel):
    query: str


class _Question(BaseModel):
    question: str


def _tool_name(verb: str, kb: str) -> str:
    return f"{verb}_" + re.sub(r"[^A-Za-z0-9_]", "_", kb)


def format_passages(docs: list[Document], max_chars: int = _PASSAGE_CHARS) -> str:
    """Passages as the model reads them: ``[1] (source, page) text``, one a paragraph."""
    if not docs:
        return "No passage in the knowledge base matches this query."
    parts = []
    for n, doc in enumerate(docs, 1):
        text = " ".join(doc.page_content.split())
        if len(text) > max_chars:
            text = text[:max_chars].rstrip() + " …"
        parts.append(f"[{n}] ({source_label(doc.metadata)}) {text}")
    return "\n\n".join(parts)


def search_tool(retriever: BaseRetriever, *, name: str = "search_kb", description: str | None = None) -> BaseTool:
    """A tool that searches ``retriever`` and returns numbered passages with their sources; the documents come
    back as the tool message's ``artifact``."""

    def search(query: str) -> tuple[str, list[Document]]:
        docs = retriever.invoke(query)
        return format_passages(docs), docs

    return StructuredTool.from_function(
        func=search,
        name=name,
        description=description
        or "Search the knowledge base (the user's own documents) and return the most relevant passages with their "
        "sources. Use it for any question about the documents; search once per thing you need to know.",
        args_schema=_Query,
        response_format="content_and_artifact",
    )


def kb_search_tool(settings: Settings | None = None, *, kb: str | None = None, embeddings: Any = None) -> BaseTool:
    """``search_<kb>`` over a configured knowledge base (``settings.kb`` unless ``kb`` is given), with the
    configured hybrid retriever."""
    from kb_assistant.retrieval import make_retriever

    settings = settings or Settings()
    if kb is not None:
        settings = settings.model_copy(update={"kb": kb})
    retriever = make_retriever(settings, embeddings=embeddings)
    return search_tool(
        retriever,
        name=_tool_name("search", settings.kb),
        description=f"Search the knowledge base {settings.kb!r} (the user's own documents) and return the most "
        "relevant passages with their sources. Use it for any question about those documents; search once per "
        "thing you need to know.",
    )


def ask_tool(
    retriever: BaseRetriever, llm: BaseChatModel, settings: Settings | None = None, *, name: str = "ask_kb"
) -> BaseTool:
    """A tool that answers a question with the QA chain: the answer checked against its sources, then the sources
    it cites (their dicts are the ``artifact``); refusals ("not found") come back as such."""
    chain = qa_chain_for(retriever, llm, settings or Settings())

    def ask(question: str) -> tuple[str, list[dict[str, Any]]]:
        result = chain.invoke({"question": question})
        used = [s for s in result.get("sources", []) if s.get("used", True)]
        cited = "\n".join(f"[{s['number']}] {source_label(s)}" for s in used)
        return (f"{result['answer']}\n\nSources:\n{cited}" if cited else result["answer"]), used

    return StructuredTool.from_function(
        func=ask,
        name=name,
        description="Answer a question from the knowledge base, with sources; it says so when the documents do not "
        "contain the answer.",
        args_schema=_Question,
        response_format="content_and_artifact",
    )
