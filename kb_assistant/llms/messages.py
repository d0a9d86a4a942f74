"""LangChain messages as the role/content dicts that chat templates read."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from kb_assistant.errors import ModelError


def to_chat_dicts(messages: list[BaseMessage]) -> list[dict[str, Any]]:
    """LangChain messages -> the role/content dicts chat templates expect (tool calls and results included)."""
    roles = {SystemMessage: "system", HumanMessage: "user", AIMessage: "assistant", AIMessageChunk: "assistant",
             ToolMessage: "tool"}
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message.role if isinstance(message, ChatMessage) else roles.get(type(message))
        if role is None:
            msg = f"unsupported message type {type(message).__name__}: use system, human, AI or tool messages"
            raise ModelError(msg)
        entry: dict[str, Any] = {"role": role, "content": message.text if hasattr(message, "text") else str(message.content)}
        if isinstance(message, AIMessage) and message.tool_calls:
            entry["tool_calls"] = [
                {"id": c.get("id"), "type": "function", "function": {"name": c["name"], "arguments": c["args"]}}
                for c in message.tool_calls
            ]
        if isinstance(message, ToolMessage):
            entry["tool_call_id"] = message.tool_call_id
        out.append(entry)
    return out
