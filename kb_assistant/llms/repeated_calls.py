"""Tool calls that repeat one already answered in the same turn.

After a tool's result, small models often make the very same call again instead of the next one (the 0.5B model
did so in every two-step task of ``benchmarks/tools_bench.py``). The result of that call is already in the
conversation, so the repeat cannot be what the user needs next: where a call is required, the chat model asks
again with that tool not offered, and the model makes the next call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from kb_assistant.llms.structured import parse_tool_choice


def _key(name: str, args: Any) -> tuple[str, str]:
    return name, json.dumps(args, sort_keys=True, ensure_ascii=False)


def answered_calls(messages: Sequence[BaseMessage]) -> set[tuple[str, str]]:
    """(name, arguments) of the calls made since the last human message that have a tool result."""
    start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1) + 1
    turn = messages[start:]
    results = {m.tool_call_id for m in turn if isinstance(m, ToolMessage)}
    return {_key(c["name"], c["args"]) for m in turn if isinstance(m, AIMessage) for c in m.tool_calls
            if c.get("id") in results}


def repeated_tools(messages: Sequence[BaseMessage], calls: Sequence[dict[str, Any]]) -> set[str]:
    """Names of the tools among ``calls`` called again with the arguments of a call answered in this turn."""
    answered = answered_calls(messages)
    return {c["name"] for c in calls if _key(c["name"], c["args"]) in answered}


def without_repeated(kwargs: dict[str, Any], repeated: set[str]) -> dict[str, Any] | None:
    """The call's keywords with the repeated tools not offered, where a call is required of another tool; else
    None. With ``tool_choice="auto"`` nothing is retried: offered fewer tools, the 0.5B model wrote nothing at all
    in 13 of 20 two-step tasks (as it does with all tools offered), so a retry would only cost time."""
    tools = kwargs.get("tools") or []
    required, named = parse_tool_choice(kwargs.get("tool_choice"), tools)
    kept = [t for t in tools if t["function"]["name"] not in repeated]
    if not required or named is not None or not kept:
        return None
    return {**kwargs, "tools": kept}
