"""Tool calls a model wrote into its prose (as Qwen2.5-Coder-1.5B does under "auto"): the first grounded one is the
message's call, in ``invoke`` and ``stream`` alike. The model's text is scripted (the narrow unit is what the chat
model does with it); the chat model around it is the real one with the tiny test model's tokenizer."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from pydantic import Field

from kb_assistant.llms import LocalChatModel
from kb_assistant.llms.chat_model import _Piece
from kb_assistant.llms.written_calls import json_objects, with_written_call, written_call
from tests.tiny_model import tiny_chat_params


def _tool(name: str, required: list[str]) -> dict[str, Any]:
    properties = {k: {"type": "string"} for k in required}
    return {"type": "function", "function": {"name": name, "parameters": {
        "type": "object", "properties": properties, "required": required}}}


TOOLS = [_tool("lookup_employee", ["name"]), _tool("create_ticket", ["title", "assignee_id"])]
ASKED = [HumanMessage("Get Maria Garcia's record, then file a ticket 'New phone' assigned to her id.")]
PROSE = (
    "To get Maria Garcia's record, you can use the `lookup_employee` function:\n\n```json\n"
    '{\n  "name": "lookup_employee",\n  "arguments": {\n    "name": "Maria Garcia"\n  }\n}\n```\n\n'
    "Then, to file a ticket 'New phone' assigned to her id, you can use the `create_ticket` function:\n\n```json\n"
    '{"name": "create_ticket", "arguments": {"title": "New phone", "assignee_id": "Maria Garcia\'s ID"}}\n```'
)
AUTO = {"tools": TOOLS, "tool_choice": "auto"}


def test_json_objects_are_found_in_prose_and_fences() -> None:
    assert json_objects('a {"x": {"y": 1}} b {broken c {"z": [1]}') == [{"x": {"y": 1}}, {"z": [1]}]


def test_the_first_call_written_in_the_words_is_the_call() -> None:
    call = written_call(ASKED, AUTO, PROSE)
    assert call is not None and call.name == "lookup_employee" and call.args == {"name": "Maria Garcia"}
    message = with_written_call(ASKED, AUTO, AIMessage(PROSE))
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [("lookup_employee", {"name": "Maria Garcia"})]
    assert message.response_metadata["finish_reason"] == "tool_calls"


def test_a_call_with_made_up_or_missing_values_or_an_unknown_tool_is_not_taken() -> None:
    made_up = PROSE.replace('"name": "Maria Garcia"', '"name": "Maria Garcia-Lopez"')
    assert written_call(ASKED, AUTO, made_up) is None  # the first call is the one meant: not a later one instead
    assert written_call(ASKED, AUTO, '{"name": "create_ticket", "arguments": {"title": "New phone"}}') is None
    assert written_call(ASKED, AUTO, '{"name": "delete_everything", "arguments": {}}') is None
    assert written_call(ASKED, AUTO, "I can't do that.") is None


def test_only_auto_takes_written_calls_and_real_calls_stay() -> None:
    assert written_call(ASKED, {"tools": TOOLS, "tool_choice": "none"}, PROSE) is None
    assert written_call(ASKED, {"tools": TOOLS, "tool_choice": "any"}, PROSE) is None
    assert written_call(ASKED, {}, PROSE) is None
    made = AIMessage("", tool_calls=[{"name": "lookup_employee", "args": {"name": "Bob"}, "id": "c1", "type": "tool_call"}])
    assert with_written_call(ASKED, AUTO, made) is made


@cache
def _params() -> dict[str, Any]:
    return tiny_chat_params(Path(tempfile.mkdtemp()) / "tiny")


class ScriptedChat(LocalChatModel):
    """The real chat model around a scripted generation."""

    script: list[str] = Field(default_factory=list)

    def _pieces(self, messages: list[BaseMessage], stop: list[str] | None, **overrides: Any) -> Iterator[_Piece]:
        yield from (_Piece(text) for text in self.script)
        yield _Piece("", usage={"input_tokens": 10, "output_tokens": 5, "total_tokens": 15})


def _streamed(chat: Any, messages: list[BaseMessage]) -> Any:
    """The streamed chunks added up into one message."""
    chunks = list(chat.stream(messages))
    assert chunks
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    return total


def test_invoke_and_stream_give_the_written_call_and_keep_the_words() -> None:
    chat = ScriptedChat(**_params(), script=[PROSE[:40], PROSE[40:150], PROSE[150:]]).bind_tools(
        [t["function"] | {"description": "x"} for t in TOOLS], tool_choice="auto")
    invoked, streamed = chat.invoke(ASKED), _streamed(chat, ASKED)
    for message in (invoked, streamed):
        assert [(c["name"], c["args"]) for c in message.tool_calls] == [("lookup_employee", {"name": "Maria Garcia"})]
        assert message.content == PROSE


def test_after_the_result_the_same_call_written_again_is_not_made_again() -> None:
    looked_up = AIMessage("", tool_calls=[{"name": "lookup_employee", "args": {"name": "Maria Garcia"}, "id": "c1",
                                           "type": "tool_call"}])
    turn = [*ASKED, looked_up, ToolMessage('{"id": "E1042"}', tool_call_id="c1")]
    chat = ScriptedChat(**_params(), script=[PROSE]).bind_tools(
        [t["function"] | {"description": "x"} for t in TOOLS], tool_choice="auto")
    invoked, streamed = chat.invoke(turn), _streamed(chat, turn)
    # Asked again without lookup_employee, the script's create_ticket has a made-up id: the answer is in words.
    assert invoked.tool_calls == [] and streamed.tool_calls == []
