"""Which tool calls repeat one already answered in the turn, and what is offered instead."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from kb_assistant.llms.repeated_calls import repeated_tools, without_repeated

TOOLS = [{"type": "function", "function": {"name": n, "parameters": {"type": "object", "properties": {}}}}
         for n in ("lookup", "ticket")]


def _call(name: str, args: dict, call_id: str) -> dict:
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


def test_only_answered_calls_of_this_turn_with_the_same_arguments_repeat() -> None:
    history = [
        HumanMessage("earlier question"),
        AIMessage("", tool_calls=[_call("ticket", {"title": "x"}, "a")]),
        ToolMessage("done", tool_call_id="a"),
        HumanMessage("look up Bob, then open a ticket"),
        AIMessage("", tool_calls=[_call("lookup", {"name": "Bob", "dept": "IT"}, "b"), _call("ticket", {"title": "y"}, "c")]),
        ToolMessage("E1", tool_call_id="b"),  # the ticket call "c" got no result
    ]
    assert repeated_tools(history, [_call("lookup", {"dept": "IT", "name": "Bob"}, "d")]) == {"lookup"}  # key order
    assert repeated_tools(history, [_call("lookup", {"name": "Alice", "dept": "IT"}, "d")]) == set()
    assert repeated_tools(history, [_call("ticket", {"title": "y"}, "d")]) == set()  # unanswered
    assert repeated_tools(history, [_call("ticket", {"title": "x"}, "d")]) == set()  # an earlier turn's


def test_the_repeated_tool_is_not_offered_again_where_another_call_is_required() -> None:
    kwargs = {"tools": TOOLS, "tool_choice": "any", "stop": ["x"]}
    assert without_repeated(kwargs, {"lookup"}) == {"tools": TOOLS[1:], "tool_choice": "any", "stop": ["x"]}
    assert without_repeated({"tools": TOOLS, "tool_choice": "required"}, {"lookup"}) == {"tools": TOOLS[1:], "tool_choice": "required"}
    assert without_repeated({"tools": TOOLS, "tool_choice": "lookup"}, {"lookup"}) is None  # the user named it
    assert without_repeated({"tools": TOOLS[:1], "tool_choice": "any"}, {"lookup"}) is None  # no other tool
    assert without_repeated({"tools": TOOLS, "tool_choice": "auto"}, {"lookup"}) is None  # it may answer in words
