"""Tool calls whose identifiers the model made up.

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
"北京", 10000 for "一万"), so they are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage

from kb_assistant.llms.tool_calls import argument_values

_ID_NAME = re.compile(r"^(?:id|ids|uuid|sku|code)$|_(?:id|ids|no|num|number|code)$|[a-z](?:Id|Ids|No|Num|Number|Code)$")
"""``order_id``, ``tracking_number``, ``employeeId``; not a bare ``number``, which may be a quantity."""
_ID_VALUE = re.compile(r"^(?=(?:[^0-9]*[0-9]){3})[A-Za-z0-9][A-Za-z0-9_-]{3,}$")


def made_up_identifiers(call: dict[str, Any], tools: Sequence[dict[str, Any]],
                        messages: Sequence[BaseMessage]) -> list[str]:
    """The identifiers among ``call``'s required arguments that are written nowhere in ``messages`` (case aside)."""
    spec = next((t["function"] for t in tools if t["function"]["name"] == call["name"]), None)
    if spec is None:
        return []
    said = "\n".join(m.text for m in messages).casefold()
    made_up = []
    for name in (spec.get("parameters") or {}).get("required") or []:
        for value, text in argument_values((call.get("args") or {}).get(name)):
            bare = value.lstrip("#№").strip()  # "#20240517" for the user's "20240517"
            if (bare and (_ID_NAME.search(name) or (text and _ID_VALUE.match(bare)))
                    and bare.casefold() not in said):
                made_up.append(value)
    return made_up


def made_up_tools(calls: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
                  messages: Sequence[BaseMessage]) -> set[str]:
    """Names of the tools among ``calls`` called with a made-up identifier."""
    return {c["name"] for c in calls if made_up_identifiers(c, tools, messages)}
