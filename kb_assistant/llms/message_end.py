"""A streamed message offered tools: its words as they come, then, once they are sent, its calls (held back to the
end, or written into its words), or the answer that replaces a repeated call or one with a made-up identifier, and
the last chunk with usage."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata

from kb_assistant.llms.repeated_calls import Generate, retry_repeated
from kb_assistant.llms.tool_calls import ToolCallParser, call_chunk, parsed_message, whole_chunk
from kb_assistant.llms.written_calls import written_call


def piece_chunks(parser: ToolCallParser | None, text: str, last: bool,
                 held: list[AIMessageChunk]) -> list[AIMessageChunk]:
    """The word chunks of a streamed piece of text (``last``: the piece that ends the message); the chunks of its
    calls go to ``held``, for :func:`message_end` to send or replace."""
    if parser is None:
        return [AIMessageChunk(content=text)]
    events = [(e.text, e.chunk) for e in (parser.finish() if last else parser.push(text))]
    if last and text:
        events.insert(0, (text, None))
    chunks = [AIMessageChunk(content=words, tool_call_chunks=[call] if call else []) for words, call in events]
    held += [m for m in chunks if m.tool_call_chunks]
    return [m for m in chunks if not m.tool_call_chunks]


def message_end(messages: Sequence[BaseMessage], kwargs: dict[str, Any], parser: ToolCallParser | None,
                held: list[AIMessageChunk], usage: UsageMetadata, model_name: str,
                generate: Generate, finish: str = "stop") -> Iterator[AIMessageChunk]:
    """The chunks after the words: ``held`` (the calls kept back to the end of the message) and a call written into
    the words, or instead what :func:`retry_repeated` answers where those repeat an answered call or carry a
    made-up identifier; then the last chunk with ``usage`` and the finish reason (``finish`` without calls)."""
    written = written_call(messages, kwargs, parser.text) if parser is not None and not parser.calls else None
    calls = [written] if written is not None else parser.calls if parser is not None else []
    if parser is not None and calls and (written is not None or not parser.text.strip()):
        instead = retry_repeated(list(messages), kwargs, parsed_message("", calls, usage, model_name), generate)
        if instead is not None:
            yield whole_chunk(instead)
            return
    yield from held
    if written is not None:  # sent once the words are done
        yield AIMessageChunk(content="", tool_call_chunks=[call_chunk(written.name or "", written.args_text, written.id)])
    yield AIMessageChunk(content="", usage_metadata=usage, chunk_position="last",
                         response_metadata={"model_name": model_name,
                                            "finish_reason": "tool_calls" if calls else finish})
