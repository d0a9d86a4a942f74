"""Tool calls whose identifiers the model made up, or put where another kind of identifier goes.

An order number, a tracking number or an employee id can only be copied from the conversation: the user's words or
a tool's result. Offered tools that do not fit the request, the 0.5B default model fills them anyway, with
"1234567890" or "12345" (``get_order_status(order_id="1234567890")`` for "查一下员工王芳"; such a call in 7 of the 20
two-step tasks of ``benchmarks/tools_bench.py`` with two tools offered, three of them beside the right call). An
agent that runs such a call acts on an order nobody named. A call with such an identifier is dropped where the
message has other calls; where it has none, the model is asked again without that tool
(:func:`kb_assistant.llms.repeated_calls.retry_repeated` does the asking).

What counts as an identifier: a required argument whose name says it is one (``order_id``, ``tracking_number``,
``code``), or whose value looks like one (a word of letters, digits and dashes with three digits or more). Other
values may rightly be written otherwise than the user did ("JPY" for "yen", "15:00" for "下午三点", "Beijing" for
"北京", 10000 for "一万"), so they are not checked, except placeholders ("John Doe", "张三", "example") that nobody wrote.

An identifier the user gave can still be misplaced (:func:`misplaced_identifiers`): a name or a phrase where an id
goes (``create_ticket(assignee_id="Bob Smith")`` for "Look up Bob Smith and create a ticket for him";
``get_order_status(order_id="显示器故障")``, the ticket's title), or a value that the user's words or a tool's result
call one kind of thing, given to a tool that says nothing of that kind while another offered tool does
(``track_package(tracking_number="55120")`` for "Look up order 55120 and track the shipment", a tool for order ids
offered: three of the 20 two-step tasks; ``get_order_status(order_id="E9660")`` for a result's
``"employee_id": "E9660"``, beside the employee lookup). What a tool speaks of is the words of its name, its
description and its parameters' names and descriptions (of the called tool's parameters, the identifier's alone);
the user's word for a value is the word before it, or what a Chinese label names ("订单", "快递单号"). Such calls are
treated as made up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage

from kb_assistant.llms.tool_calls import argument_values, tool_spec
from kb_assistant.llms.tool_words import GENERIC_WORDS, name_words, spoken_of, text_words

_ID_NAME = re.compile(r"^(?:id|ids|uuid|sku|code)$|_(?:id|ids|no|num|number|code)$|[a-z](?:Id|Ids|No|Num|Number|Code)$")
"""``order_id``, ``tracking_number``, ``employeeId``; not a bare ``number``, which may be a quantity."""
_ID_VALUE = re.compile(r"^(?=(?:[^0-9]*[0-9]){3})[A-Za-z0-9][A-Za-z0-9_-]{3,}$")


_PLACEHOLDERS = frozenset({
    "john doe", "jane doe", "john smith", "jane smith", "张三", "李四", "王五", "某人", "用户", "user", "username",
    "your name", "name", "example", "example.com", "user@example.com", "test", "foo", "bar", "xxx", "n/a", "string",
    "unknown", "placeholder"})
"""Values a model writes for an argument it was not given ("Find the policy on remote work" ->
``lookup_employee(name="John Doe")``): made up wherever the conversation does not say them."""


def made_up_identifiers(call: dict[str, Any], tools: Sequence[dict[str, Any]],
                        messages: Sequence[BaseMessage]) -> list[str]:
    """The identifiers among ``call``'s required arguments that are written nowhere in ``messages`` (case aside), and
    the placeholder values (John Doe, 张三, example…) written nowhere there."""
    spec = tool_spec(call, tools)
    if spec is None:
        return []
    said = "\n".join(m.text for m in messages).casefold()
    made_up = []
    for name in (spec.get("parameters") or {}).get("required") or []:
        for value, text in argument_values((call.get("args") or {}).get(name)):
            bare = value.lstrip("#№").strip()  # "#20240517" for the user's "20240517"
            if (bare and (_ID_NAME.search(name) or (text and _ID_VALUE.match(bare))
                          or (text and bare.casefold() in _PLACEHOLDERS))
                    and bare.casefold() not in said):
                made_up.append(value)
    return made_up


_PHRASE = re.compile(r"\s|[\u3400-\u9fff]")


def _labels(value: str, messages: Sequence[BaseMessage]) -> list[set[str]]:
    """What the user's messages and the tools' results call ``value`` where they write it: the word before it
    ("order 55120", "tracking number 1Z999…": "tracking"; ``"employee_id": "E9660"``: "employee"), or the kinds a
    Chinese label names; one set per place."""
    found = []
    value = value.casefold()
    for message in messages:
        if not isinstance(message, (HumanMessage, ToolMessage)):
            continue
        text = message.text.casefold()
        at = text.find(value)
        while at >= 0:
            before = text[max(0, at - 24) : at]
            chinese = re.search(r"([\u3400-\u9fff]{1,8})[\s:：#№]*$", before)
            if chinese:
                found.append(text_words(chinese.group(1)[-6:]))
            else:
                words = [w for w in re.findall(r"[A-Za-z]+", before) if w.lower() not in GENERIC_WORDS]
                found.append(name_words(words[-1]) if words else set())
            at = text.find(value, at + len(value))
    return found


def misplaced_identifiers(call: dict[str, Any], tools: Sequence[dict[str, Any]],
                          messages: Sequence[BaseMessage]) -> list[str]:
    """The values of ``call``'s required identifier arguments (named ``*_id``, ``*_number``…) that are a name or a
    phrase (no digit, and a space or Chinese characters), or that the user's words or a result call something another
    offered tool speaks of and this one does not ("order 55120" given to a tracking number, a tool for orders
    offered)."""
    spec = tool_spec(call, tools)
    if spec is None:
        return []
    others = [spoken_of(t["function"]) for t in tools if t["function"]["name"] != call["name"]]
    misplaced = []
    for name in (spec.get("parameters") or {}).get("required") or []:
        if not _ID_NAME.search(name):
            continue
        own = spoken_of(spec, [name])
        for value, text in argument_values((call.get("args") or {}).get(name)):
            bare = value.lstrip("#№").strip()
            if not text or not bare:
                continue
            if not any(c.isdigit() for c in bare) and _PHRASE.search(bare):
                misplaced.append(value)
                continue
            labels = [label for label in _labels(bare, messages) if label]
            if labels and not any(label & own for label in labels) and any(
                    label & words for label in labels for words in others):
                misplaced.append(value)
    return misplaced


def unsound_identifiers(call: dict[str, Any], tools: Sequence[dict[str, Any]],
                        messages: Sequence[BaseMessage]) -> list[str]:
    """``call``'s identifiers that are made up or misplaced."""
    return made_up_identifiers(call, tools, messages) + misplaced_identifiers(call, tools, messages)


def made_up_tools(calls: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
                  messages: Sequence[BaseMessage]) -> set[str]:
    """Names of the tools among ``calls`` called with a made-up or misplaced identifier."""
    return {c["name"] for c in calls if unsound_identifiers(c, tools, messages)}
