"""Tool calls a model wrote into its prose instead of the tool format.

Offered tools with ``tool_choice="auto"``, the packaged Qwen2.5-Coder-1.5B model explained the steps in words and
wrote each call as a JSON block ("Use the `lookup_employee` function ... ```json {"name": "lookup_employee",
"arguments": {"name": "Alice Chen"}} ```") in all 20 two-step tasks of ``benchmarks/tools_bench.py``: no call was
made, so an agent stopped. Such a block is the call the model means. The first one is taken as the message's call
when it names an offered tool, its required arguments are there, and each of them is written in the conversation
(later blocks use results not known yet: "assignee_id": "Maria Garcia's ID").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from kb_assistant.llms.repeated_calls import grounded
from kb_assistant.llms.structured import parse_tool_choice
from kb_assistant.llms.tool_calls import ParsedCall, new_call_id


def json_objects(text: str) -> list[Any]:
    """Every JSON object written in ``text`` (in code fences or not), outermost ones only, in order."""
    decoder = json.JSONDecoder()
    found: list[Any] = []
    at = text.find("{")
    while at != -1:
        try:
            value, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            at = text.find("{", at + 1)
            continue
        found.append(value)
        at = text.find("{", end)
    return found


def written_call(messages: Sequence[BaseMessage], kwargs: dict[str, Any], text: str) -> ParsedCall | None:
    """The call the model wrote into ``text`` where it made none, if the tools were offered with "auto" and that
    call names an offered tool with every required argument written in the conversation; else None."""
    tools = kwargs.get("tools") or []
    if not tools or kwargs.get("tool_choice") == "none" or "{" not in text:
        return None
    required, named = parse_tool_choice(kwargs.get("tool_choice"), tools)
    if required or named is not None:
        return None  # the grammar already made those messages calls
    specs = {t["function"]["name"]: t["function"] for t in tools}
    for obj in json_objects(text):
        if not isinstance(obj, dict) or obj.get("name") not in specs:
            continue
        args = next((obj[k] for k in ("arguments", "parameters", "args") if k in obj), None)
        if not isinstance(args, dict):
            continue
        needed = (specs[obj["name"]].get("parameters") or {}).get("required") or []
        call = {"name": obj["name"], "args": args}
        if all(k in args for k in needed) and grounded(call, tools, messages):
            return ParsedCall(index=0, id=new_call_id(), raw=json.dumps(obj, ensure_ascii=False), name=obj["name"],
                              args=args, args_text=json.dumps(args, ensure_ascii=False))
        return None  # the first call written is the one meant; a later one would skip it
    return None


def with_written_call(messages: Sequence[BaseMessage], kwargs: dict[str, Any], message: AIMessage) -> AIMessage:
    """``message`` with the call written in its text added as its tool call, where :func:`written_call` finds one."""
    if message.tool_calls or message.invalid_tool_calls:
        return message
    call = written_call(messages, kwargs, message.text)
    if call is None:
        return message
    return message.model_copy(update={
        "tool_calls": [call.as_tool_call()],
        "response_metadata": {**message.response_metadata, "finish_reason": "tool_calls"},
    })
