"""Tool calls in a model's text: split from the answer as the text streams, parsed into LangChain tool calls."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk

from kb_assistant.llms.tool_formats import ToolFormat

_NAME = re.compile(r'"name"\s*:\s*"((?:[^"\\]|\\.)*)"')
_CLOSERS = set("} \n\t\r")


def new_call_id() -> str:
    """An id in OpenAI's style, unique per call."""
    return f"call_{uuid.uuid4().hex[:24]}"


@dataclass
class ParsedCall:
    """One call as the model wrote it."""

    index: int
    id: str
    raw: str = ""
    name: str | None = None
    args: dict[str, Any] | None = None
    args_text: str = ""
    """The arguments' JSON exactly as written (what the streamed chunks add up to)."""
    error: str | None = None

    def as_tool_call(self) -> dict[str, Any]:
        """LangChain's ``ToolCall`` dict, for a call that parsed."""
        return {"name": self.name or "", "args": self.args or {}, "id": self.id, "type": "tool_call"}

    def as_invalid_tool_call(self) -> dict[str, Any]:
        """LangChain's ``InvalidToolCall`` dict, for a call with broken JSON or no name."""
        return {"name": self.name, "args": self.raw.strip(), "id": self.id, "error": self.error,
                "type": "invalid_tool_call"}


@dataclass
class Event:
    """A piece of answer text, or a ``tool_call_chunk`` dict."""

    text: str = ""
    chunk: dict[str, Any] | None = None


@dataclass
class _Open:
    call: ParsedCall
    name_sent: bool = False
    args_start: int | None = None
    sent: int = 0  # characters of the arguments' text already sent in chunks


@dataclass
class ToolCallParser:
    """Feed it the model's text as it streams; it hands out answer text and tool-call chunks at once, holding back
    only what could still be the start of a call. ``calls`` and ``text`` hold the whole result after ``finish``."""

    fmt: ToolFormat
    bare_calls: bool = True
    """Take an answer that is only JSON as calls written without their tags."""
    calls: list[ParsedCall] = field(default_factory=list)
    text: str = ""
    _pending: str = ""
    _open: _Open | None = None
    _held_space: str = ""
    _bare: bool = False

    def push(self, piece: str) -> list[Event]:
        """Text generated since the last push -> events."""
        self._pending += piece
        events: list[Event] = []
        while True:
            before = (self._pending, self._open is None)
            events += self._step(final=False)
            if (self._pending, self._open is None) == before:
                return events

    def finish(self) -> list[Event]:
        """The model has stopped: close an unfinished call and flush the held text."""
        events = self.push("")
        events += self._step(final=True)
        if self._open is not None:
            events += self._close(self._pending)
            self._pending = ""
        if self._pending:
            events += self._emit(self._pending)
            self._pending = ""
        if self._held_space and not self.calls:
            events.append(Event(text=self._held_space))
            self.text += self._held_space
        self._held_space = ""
        return events

    # --- answer text ----------------------------------------------------------------------------
    def _emit(self, text: str) -> list[Event]:
        """Answer text, with trailing whitespace held back: it is dropped when a call follows."""
        body = text.rstrip()
        space = text[len(body) :]
        if not body:
            self._held_space += space
            return []
        out = self._held_space + body
        self._held_space = space
        self.text += out
        return [Event(text=out)]

    def _step(self, *, final: bool) -> list[Event]:
        if self._open is not None:
            return self._in_call(final=final)
        if self.bare_calls and self.fmt.open and not self.text and not self.calls and self._pending.lstrip().startswith("{"):
            self._bare = True  # a whole message of JSON: a call written without its tags
        if self.fmt.open and not self._bare:
            self._pending = self._without_result_tags(self._pending, final)
            at = self._pending.find(self.fmt.open)
            if at >= 0:
                events = self._emit(self._pending[:at])
                self._pending = self._pending[at + len(self.fmt.open) :]
                self._start()
                return events
            markers = [self.fmt.open]
            for tag in self.fmt.result_tags:  # with the line break that goes with it
                markers.append("\n" + tag if tag.startswith("</") else tag + "\n")
            keep = max(_partial_suffix(self._pending, m) for m in markers) if not final else 0
            safe, self._pending = self._pending[: len(self._pending) - keep], self._pending[len(self._pending) - keep :]
            return self._emit(safe) if safe else []
        # Untagged JSON calls: a call is the whole message (or follows another call), starting with "{".
        stripped = self._pending.lstrip()
        sep = self.fmt.separator.strip()
        if self._bare:
            sep = ""
        if self.calls and sep and not self.text:  # between calls: "; {...}"
            if sep.startswith(stripped) and not final:
                return []
            if stripped.startswith(sep):
                self._pending = stripped = stripped[len(sep) :].lstrip()
        if not stripped:
            return []
        if stripped.startswith("{") and not self.text:
            self._pending = stripped
            self._start()
            return []
        events = self._emit(self._pending)
        self._pending = ""
        return events

    def _without_result_tags(self, text: str, final: bool) -> str:
        """``text`` with echoed result tags taken out: an opening tag with the line break after it, a closing
        one with the line break before it. An opening tag at the very end waits for what follows it."""
        for tag in self.fmt.result_tags:
            closing = tag.startswith("</")
            text = text.replace("\n" + tag if closing else tag + "\n", "")
            waits = not closing and not final and text.endswith(tag)
            text = text[: len(text) - len(tag)].replace(tag, "") + tag if waits else text.replace(tag, "")
        return text

    # --- inside a call --------------------------------------------------------------------------
    def _start(self) -> None:
        call = ParsedCall(index=len(self.calls), id=new_call_id())
        self.calls.append(call)
        self._open = _Open(call)

    def _in_call(self, *, final: bool) -> list[Event]:
        assert self._open is not None
        raw = self._pending
        if self.fmt.close and not self._bare:
            at = raw.find(self.fmt.close)
            if at >= 0:
                self._pending = raw[at + len(self.fmt.close) :]
                return self._close(raw[:at])
            return self._stream_args(raw)
        start = raw.find("{")
        if start >= 0:
            try:
                _, end = json.JSONDecoder().raw_decode(raw, start)
            except json.JSONDecodeError:
                return self._stream_args(raw)
            self._pending = raw[end:]
            return self._close(raw[:end])
        return self._stream_args(raw)

    def _stream_args(self, raw: str) -> list[Event]:
        """Chunks of a call still being written: its name once complete, then its arguments as they grow."""
        state = self._open
        assert state is not None
        events: list[Event] = []
        if not state.name_sent:
            name = _NAME.search(raw)
            key = re.search(rf'"{re.escape(self.fmt.args_key)}"\s*:\s*(?=\S)', raw)
            if name is None or key is None or name.start() > key.start():
                return []  # arguments written before the name: sent whole when the call closes
            state.call.name = json.loads(f'"{name.group(1)}"')
            state.name_sent, state.args_start = True, key.end()
            events.append(_chunk(state.call, name=state.call.name, args=""))
        assert state.args_start is not None
        body = raw[state.args_start :]
        if self.fmt.close:  # never send what may be the start of the closing tag
            body = body[: len(body) - _partial_suffix(body, self.fmt.close)]
        cut = len(body)
        while cut > 0 and body[cut - 1] in _CLOSERS:  # may be the call's own closing brace
            cut -= 1
        if cut > state.sent:
            events.append(_chunk(state.call, args=body[state.sent : cut]))
            state.sent = cut
        return events

    def _close(self, raw: str) -> list[Event]:
        state = self._open
        assert state is not None
        events = self._stream_args(raw)
        self._open = None
        call = state.call
        call.raw = raw
        _parse_into(call, raw, self.fmt.args_key)
        if not state.name_sent:
            events.append(_chunk(call, name=call.name, args=call.args_text or raw.strip(), first=True))
        elif call.error is None:
            sent = _sent(raw, state)
            if call.args_text.startswith(sent) and len(call.args_text) > len(sent):
                events.append(_chunk(call, args=call.args_text[len(sent) :]))
        return events


def _chunk(call: ParsedCall, *, args: str, name: str | None = None, first: bool = False) -> Event:
    """A ``tool_call_chunk``; the first one of a call carries its name and id."""
    first = first or name is not None
    return Event(chunk={"name": name, "args": args, "id": call.id if first else None, "index": call.index,
                        "type": "tool_call_chunk"})


def _sent(raw: str, state: _Open) -> str:
    return raw[state.args_start : state.args_start + state.sent] if state.args_start is not None else ""


def _partial_suffix(text: str, marker: str) -> int:
    """Length of the longest end of ``text`` that begins ``marker``."""
    for n in range(min(len(marker) - 1, len(text)), 0, -1):
        if text.endswith(marker[:n]):
            return n
    return 0


def _parse_into(call: ParsedCall, raw: str, args_key: str) -> None:
    """Fill name, args and args_text from the call's JSON, or set ``error``."""
    text = raw.strip()
    if text.startswith("<|python_tag|>"):
        text = text[len("<|python_tag|>") :].strip()
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        name = _NAME.search(text)
        call.name = call.name or (json.loads(f'"{name.group(1)}"') if name else None)
        call.error = f"the tool call is not valid JSON: {e.msg} at character {e.pos}"
        return
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        call.error = 'the tool call has no "name"'
        return
    call.name = obj["name"]
    args = next((obj[k] for k in (args_key, "arguments", "parameters") if k in obj), {})
    if isinstance(args, str):  # some models write the arguments as a JSON string
        try:
            args = json.loads(args)
        except json.JSONDecodeError as e:
            call.error = f"the tool call's arguments are not valid JSON: {e.msg}"
            return
    if not isinstance(args, dict):
        call.error = "the tool call's arguments are not a JSON object"
        return
    call.args = args
    match = re.search(rf'"{re.escape(args_key)}"\s*:\s*', text)
    written = None
    if match is not None:
        try:
            value, end = json.JSONDecoder().raw_decode(text, match.end())
            written = text[match.end() : end] if isinstance(value, dict) else None
        except json.JSONDecodeError:
            written = None
    call.args_text = written if written is not None else json.dumps(args, ensure_ascii=False)


def parsed_message(text: str, calls: list[ParsedCall], usage: Any, model_name: str, finish: str = "stop") -> AIMessage:
    """The finished answer: its text, its calls (broken ones as ``invalid_tool_calls``), usage and finish reason
    ("tool_calls" with calls, else ``finish``: "length" when the token limit cut it, "stop")."""
    return AIMessage(
        content=text,
        tool_calls=[c.as_tool_call() for c in calls if c.error is None],
        invalid_tool_calls=[c.as_invalid_tool_call() for c in calls if c.error is not None],
        usage_metadata=usage,
        response_metadata={"model_name": model_name, "finish_reason": "tool_calls" if calls else finish},
    )


def call_chunk(name: str, args_text: str, call_id: str | None, index: int = 0) -> dict[str, Any]:
    """A whole call as one ``tool_call_chunk``."""
    return {"name": name, "args": args_text, "id": call_id, "index": index, "type": "tool_call_chunk"}


def whole_chunk(message: AIMessage) -> AIMessageChunk:
    """A finished message as one last stream chunk (its calls as ``tool_call_chunks``)."""
    chunks = [call_chunk(c["name"], json.dumps(c["args"], ensure_ascii=False), c["id"], i)
              for i, c in enumerate(message.tool_calls)]
    return AIMessageChunk(content=message.content, tool_call_chunks=chunks,  # type: ignore[arg-type]
                          usage_metadata=message.usage_metadata, response_metadata=message.response_metadata,
                          chunk_position="last")


def parse_tool_calls(text: str, fmt: ToolFormat, *, bare_calls: bool = True) -> tuple[str, list[ParsedCall]]:
    """The answer text and the calls in a finished generation."""
    parser = ToolCallParser(fmt, bare_calls=bare_calls)
    parser.push(text)
    parser.finish()
    return parser.text, parser.calls


def tool_spec(call: dict[str, Any], tools: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The OpenAI-style function spec among ``tools`` that ``call`` names, if one is offered."""
    return next((t["function"] for t in tools if t["function"]["name"] == call["name"]), None)


def argument_values(value: Any) -> list[tuple[str, bool]]:
    """Each scalar inside a call's argument ``value`` (nested lists and objects too) as text, and whether it was
    text rather than a number (10000 may be written 一万 in the conversation); booleans and nulls are left out."""
    if isinstance(value, dict):
        return [v for item in value.values() for v in argument_values(item)]
    if isinstance(value, list):
        return [v for item in value for v in argument_values(item)]
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return [(str(value), isinstance(value, str))]
