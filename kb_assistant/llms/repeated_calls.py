"""Tool calls that repeat one already answered in the same turn.

After a tool's result, small models often make the very same call again instead of the next one or an answer (the
0.5B model did so in every two-step task of ``benchmarks/tools_bench.py``, and echoed the call after every single
one). The result of that call is already in the conversation, so the repeat cannot be what the user needs next:

1. the chat model asks again with that tool not offered; where a call is required, that is the answer;
2. with ``tool_choice="auto"``, a call from that second try is kept only if its required arguments come from the
   conversation and none is a whole tool result (a small model offered the wrong tools makes up order numbers,
   or hands the result to the calculator);
3. otherwise the model answers in words from the results, asked as a plain question with the results written
   out: the same 0.5B model that echoes calls in the tool format answers "The weather in Paris is sunny with a
   temperature of 21°C." when asked so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.messages.ai import add_usage

from kb_assistant.cjk import is_chinese
from kb_assistant.llms.made_up_calls import made_up_tools, unsound_identifiers
from kb_assistant.llms.structured import parse_tool_choice
from kb_assistant.llms.tool_calls import argument_values, tool_spec

Generate = Callable[[list[BaseMessage], dict[str, Any]], AIMessage]
"""Generate one message for these messages and call keywords (tools, tool_choice…)."""

_RESULTS_PROMPT = {
    "en": "{question}\n\nResults of the tools called for this question:\n{results}\n\n"
          "Answer the question in words, using these results.",
    "zh": "{question}\n\n为回答这个问题调用的工具及其结果：\n{results}\n\n请根据这些结果，用中文回答问题。",
}


def _key(name: str, args: Any) -> tuple[str, str]:
    return name, json.dumps(args, sort_keys=True, ensure_ascii=False)


def _turn_start(messages: Sequence[BaseMessage]) -> int:
    return max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1) + 1


def answered_calls(messages: Sequence[BaseMessage]) -> set[tuple[str, str]]:
    """(name, arguments) of the calls made since the last human message that have a tool result."""
    turn = messages[_turn_start(messages) :]
    results = {m.tool_call_id for m in turn if isinstance(m, ToolMessage)}
    return {_key(c["name"], c["args"]) for m in turn if isinstance(m, AIMessage) for c in m.tool_calls
            if c.get("id") in results}


def repeated_tools(messages: Sequence[BaseMessage], calls: Sequence[dict[str, Any]]) -> set[str]:
    """Names of the tools among ``calls`` called again with the arguments of a call answered in this turn."""
    answered = answered_calls(messages)
    return {c["name"] for c in calls if _key(c["name"], c["args"]) in answered}


def without_repeated(kwargs: dict[str, Any], repeated: set[str]) -> dict[str, Any] | None:
    """The call's keywords with the repeated tools not offered; None where the user named the tool or no other
    tool is left."""
    tools = kwargs.get("tools") or []
    _, named = parse_tool_choice(kwargs.get("tool_choice"), tools)
    kept = [t for t in tools if t["function"]["name"] not in repeated]
    if named is not None or not kept:
        return None
    return {**kwargs, "tools": kept}


def grounded(call: dict[str, Any], tools: Sequence[dict[str, Any]], messages: Sequence[BaseMessage]) -> bool:
    """Whether every required argument of ``call`` is written somewhere in the conversation (case aside), and
    none is a whole tool result."""
    spec = tool_spec(call, tools)
    if spec is None:
        return False
    required = (spec.get("parameters") or {}).get("required") or []
    said = "\n".join(m.text for m in messages).casefold()
    results = {m.text.strip().casefold() for m in messages if isinstance(m, ToolMessage)}
    values = [v.casefold() for name in required for v, _ in argument_values(call["args"].get(name))]
    # A whole result as an argument feeds the answer back in ("100 USD = 710 EUR" to the calculator).
    return all(v in said and v.strip() not in results for v in values)


def results_question(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The conversation with this turn's calls and results written out in the question, for an answer in words."""
    start = _turn_start(messages)
    question = messages[start - 1].text if start else ""
    calls = {c["id"]: c for m in messages[start:] if isinstance(m, AIMessage) for c in m.tool_calls}
    lines = []
    for m in messages[start:]:
        if isinstance(m, ToolMessage):
            call = calls.get(m.tool_call_id) or {"name": m.name or "tool", "args": {}}
            lines.append(f"- {call['name']}({json.dumps(call['args'], ensure_ascii=False)}): {m.text}")
    template = _RESULTS_PROMPT["zh" if is_chinese(question) else "en"]
    asked = HumanMessage(template.format(question=question, results="\n".join(lines)))
    earlier = [m for m in messages[: max(start - 1, 0)] if not isinstance(m, (ToolMessage, SystemMessage))
               and not (isinstance(m, AIMessage) and m.tool_calls)]
    system = [m for m in messages[:1] if isinstance(m, SystemMessage)]
    return [*system, *earlier, asked]


def retry_repeated(messages: list[BaseMessage], kwargs: dict[str, Any], message: AIMessage,
                   generate: Generate) -> AIMessage | None:
    """What to answer instead of ``message`` where it repeats a call answered in this turn (as the module says) or
    calls a tool with a made-up or misplaced identifier (:mod:`~kb_assistant.llms.made_up_calls`: such calls are
    dropped from a message that has others, else asked again the same way), with the usage of every generation;
    None to keep ``message``."""
    tools = kwargs.get("tools") or []
    if not tools or not message.tool_calls:
        return None
    repeated = repeated_tools(messages, message.tool_calls)
    made_up = made_up_tools(message.tool_calls, tools, messages)
    if not repeated and made_up:
        sound = [c for c in message.tool_calls if not unsound_identifiers(c, tools, messages)]
        if sound:
            return message.model_copy(update={"tool_calls": sound})
    if not repeated | made_up:
        return None
    required, _ = parse_tool_choice(kwargs.get("tool_choice"), tools)
    usage = message.usage_metadata
    retry_kwargs = without_repeated(kwargs, repeated | made_up)
    if retry_kwargs is not None:
        retry = generate(messages, retry_kwargs)
        usage = add_usage(usage, retry.usage_metadata)
        # before any result in this turn, an answer in words is the model's own (it may ask for the number)
        if (required or (retry.tool_calls and all(grounded(c, tools, messages) for c in retry.tool_calls))
                or (not retry.tool_calls and not answered_calls(messages))):
            retry.usage_metadata = usage
            return retry
    elif required:
        return None
    asked = results_question(messages) if answered_calls(messages) else messages
    answer = generate(asked, {k: v for k, v in kwargs.items()
                              if k not in ("tools", "tool_choice", "parallel_tool_calls")})
    answer.usage_metadata = add_usage(usage, answer.usage_metadata)
    return answer


def answer_without_repeats(messages: list[BaseMessage], kwargs: dict[str, Any], generate: Generate) -> AIMessage:
    """``generate``'s message, or what :func:`retry_repeated` answers instead."""
    message = generate(messages, kwargs)
    return retry_repeated(messages, kwargs, message, generate) or message
