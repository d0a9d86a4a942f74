"""Generation for the routes: per-request sampling, prompt checks, plain chat or KB answers, streaming."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import HTTPException
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from kb_assistant.server.schemas import ChatMessageIn
from kb_assistant.server.state import AppState

_ROLES = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}


def with_sampling(llm: Any, **values: Any) -> Any:
    """A shallow copy of the chat model with these sampling values (the weights are shared)."""
    fields = getattr(type(llm), "model_fields", {})
    if "max_new_tokens" not in fields and "max_tokens" in fields:  # served models (ChatOpenAI) name it so
        values = {("max_tokens" if k == "max_new_tokens" else k): v for k, v in values.items()}
    update = {k: v for k, v in values.items() if v is not None and k in fields}
    return llm.model_copy(update=update) if update else llm


def to_messages(pairs: list[tuple[str, str]]) -> list[BaseMessage]:
    """(role, content) pairs -> LangChain messages."""
    return [_ROLES[role](content) for role, content in pairs]


def from_openai(messages: list[ChatMessageIn]) -> list[BaseMessage]:
    """OpenAI chat messages (tool calls and tool results included; the schema has checked both) -> LangChain
    messages."""
    out: list[BaseMessage] = []
    for m in messages:
        if m.role == "tool":
            out.append(ToolMessage(m.text, tool_call_id=m.tool_call_id or ""))
        elif m.role == "assistant" and m.tool_calls:
            calls = [{"name": c.function.name, "args": json.loads(c.function.arguments or "{}"), "id": c.id,
                      "type": "tool_call"} for c in m.tool_calls]
            out.append(AIMessage(m.text, tool_calls=calls))
        else:
            out.append(_ROLES[m.role](m.text))
    return out


def check_prompt(
    state: AppState, llm: Any, messages: list[BaseMessage], max_new_tokens: int, tools: list[dict[str, Any]] | None = None
) -> int:
    """400 when the prompt is too long for the model's window; returns its token count."""
    chars = sum(len(str(m.content)) for m in messages) + (len(json.dumps(tools)) if tools else 0)
    if chars > state.settings.max_prompt_chars:
        raise HTTPException(413, f"prompt is {chars} characters; the limit is {state.settings.max_prompt_chars}")
    render = getattr(llm, "render_prompt", None)
    if render is None:
        return 0
    try:
        prompt = render(messages, tools=tools) if tools else render(messages)
    except NotImplementedError as e:
        raise HTTPException(400, str(e)) from None
    tokens = llm.count_tokens(prompt)
    window = llm.context_window
    if tokens + max_new_tokens > window:
        raise HTTPException(
            400,
            f"prompt is {tokens} tokens and {max_new_tokens} new tokens were asked for; the model's context "
            f"window is {window} tokens: shorten the prompt or the history",
        )
    return int(tokens)


def stream_chat(
    llm: Any, messages: list[BaseMessage], stop: list[str] | None, **options: Any
) -> Iterator[dict[str, Any]]:
    """{'answer': text} and {'tool_call': chunk} pieces, then {'usage': {...}} and {'finish': reason} when the model
    reports them. ``options``: tools, tool_choice, parallel_tool_calls, response_format (only those given)."""
    for chunk in llm.stream(messages, stop=stop, **options):
        if chunk.content:
            yield {"answer": chunk.text}
        for tool_chunk in getattr(chunk, "tool_call_chunks", None) or []:
            yield {"tool_call": dict(tool_chunk)}
        if getattr(chunk, "usage_metadata", None):
            yield {"usage": dict(chunk.usage_metadata)}
        if (getattr(chunk, "response_metadata", None) or {}).get("finish_reason"):
            yield {"finish": chunk.response_metadata["finish_reason"]}


def stream_kb(state: AppState, llm: Any, kb: str, question: str, history: list[tuple[str, str]]) -> Iterator[dict[str, Any]]:
    """The QA chain's parts: {'sources': [...]}, then {'answer': text} pieces."""
    from kb_assistant.qa import qa_chain_for

    chain = qa_chain_for(state.retriever(kb), llm, state.settings)
    yield from chain.stream({"question": question, "history": history})
