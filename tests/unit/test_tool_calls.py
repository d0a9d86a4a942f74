"""Tool calls: parsing streamed text into calls, and constrained decoding that keeps even a random model valid."""

from __future__ import annotations

import json
import random
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from kb_assistant.llms import LocalChatModel
from kb_assistant.llms.specs import get_spec
from kb_assistant.llms.tool_calls import ToolCallParser, parse_tool_calls
from kb_assistant.llms.tool_formats import HERMES, LLAMA3_JSON, ToolFormat
from tests.tiny_model import tiny_chat_params

TWO_CALLS = (
    'Let me look. <tool_call>\n{"name": "get_weather", "arguments": {"location": "旧金山", "days": [1, 2]}}\n</tool_call>\n'
    '<tool_call>\n{"name": "magic_function", "arguments": {"input": 3}}\n</tool_call>'
)


def _streamed(text: str, fmt: ToolFormat, seed: int) -> tuple[AIMessageChunk, list[dict[str, Any]]]:
    """Feed ``text`` in random pieces; the merged message and the tool-call chunks as they came."""
    rng = random.Random(seed)
    parser = ToolCallParser(fmt)
    events, i = [], 0
    while i < len(text):
        n = rng.randint(1, 6)
        events += parser.push(text[i : i + n])
        i += n
    events += parser.finish()
    merged = AIMessageChunk(content="")
    for event in events:
        merged += AIMessageChunk(content=event.text, tool_call_chunks=[event.chunk] if event.chunk else [])
    return merged, [e.chunk for e in events if e.chunk]


@pytest.mark.parametrize("seed", range(20))
def test_streamed_tool_call_chunks_reassemble_to_the_same_calls(seed: int) -> None:
    content, calls = parse_tool_calls(TWO_CALLS, HERMES)
    assert content == "Let me look."
    assert [(c.name, c.args) for c in calls] == [
        ("get_weather", {"location": "旧金山", "days": [1, 2]}),
        ("magic_function", {"input": 3}),
    ]
    merged, chunks = _streamed(TWO_CALLS, HERMES, seed)
    assert merged.content == content  # no piece of a tag leaks into the answer
    assert [(c["name"], c["args"]) for c in merged.tool_calls] == [(c.name, c.args) for c in calls]
    by_index: dict[int, str] = {}
    for chunk in chunks:
        by_index[chunk["index"]] = by_index.get(chunk["index"], "") + chunk["args"]
    assert [by_index[0], by_index[1]] == [c.args_text for c in calls]  # exactly the written JSON, piece by piece
    assert all(c["id"] for c in chunks if c["name"]) and len({c["id"] for c in chunks if c["id"]}) == 2


def test_llama_json_calls_and_plain_answers() -> None:
    _, calls = parse_tool_calls('{"name": "f", "parameters": {"x": "}"}}; {"name": "g", "parameters": {}}', LLAMA3_JSON)
    assert [(c.name, c.args) for c in calls] == [("f", {"x": "}"}), ("g", {})]
    merged, _ = _streamed('{"name": "f", "parameters": {"x": "}"}}; {"name": "g", "parameters": {}}', LLAMA3_JSON, 1)
    assert [(c["name"], c["args"]) for c in merged.tool_calls] == [("f", {"x": "}"}), ("g", {})]
    text, calls = parse_tool_calls('Use {"name": "f"} later.', LLAMA3_JSON)
    assert text == 'Use {"name": "f"} later.' and calls == []


def test_broken_call_json_becomes_an_invalid_tool_call_not_an_exception() -> None:
    content, calls = parse_tool_calls('<tool_call>\n{"name": "f", "arguments": {"x": 1\n</tool_call>', HERMES)
    assert content == "" and calls[0].error and calls[0].name == "f"
    invalid = calls[0].as_invalid_tool_call()
    message = AIMessage(content=content, invalid_tool_calls=[invalid])
    assert message.tool_calls == [] and message.invalid_tool_calls[0]["name"] == "f"


def test_an_answer_that_is_only_json_is_a_call_unless_it_follows_a_tool_result() -> None:
    text = '{"name": "f", "arguments": {"a": 1}}'
    assert [c.name for c in parse_tool_calls(text, HERMES)[1]] == ["f"]
    assert parse_tool_calls(text, HERMES, bare_calls=False) == (text, [])


@cache
def _tiny_params() -> dict[str, Any]:
    return tiny_chat_params(Path(tempfile.mkdtemp()) / "tiny")


@tool
def paint(color: str, coats: int, glossy: bool) -> str:
    """Paint the wall."""
    return f"{coats} coats of {color}"


class Verdict(BaseModel):
    """A yes/no answer."""

    answer: bool
    mood: str


PAINT_SCHEMA = {"type": "object", "properties": {"color": {"enum": ["red", "blue"]}, "coats": {"enum": [1, 2]},
                                               "glossy": {"type": "boolean"}}, "required": ["color", "coats", "glossy"]}
PAINT_SPEC = {"type": "function", "function": {"name": "paint", "description": "Paint.", "parameters": PAINT_SCHEMA}}
CHOICE_SCHEMA = {"title": "Choice", "type": "object", "properties": {"pick": {"enum": ["a", "b"]}, "sure": {"type": "boolean"}},
                 "required": ["pick", "sure"]}


# "batched": the generation engine (on the CPU here; tests/gpu runs it on CUDA) takes each request's grammar too
@pytest.mark.parametrize("engine", ["plain", "batched"])
def test_a_random_model_still_calls_the_bound_tool_with_valid_arguments(engine: str) -> None:
    """The grammar, not the (random) weights, guarantees the call's shape: the tool's name and typed arguments."""
    chat = LocalChatModel(**{**_tiny_params(), "max_new_tokens": 200, "engine": engine})
    assert (chat.batching_engine() is not None) == (engine == "batched")
    spec = PAINT_SPEC
    message = chat.bind_tools([spec], tool_choice="any", parallel_tool_calls=False).invoke("Paint it.")
    assert message.tool_calls and message.tool_calls[0]["name"] == "paint"
    args = message.tool_calls[0]["args"]
    assert args["color"] in ("red", "blue") and args["coats"] in (1, 2) and isinstance(args["glossy"], bool)
    assert paint.invoke(args)  # the tool accepts what the model wrote
    assert message.response_metadata["finish_reason"] == "tool_calls"
    merged = None
    for chunk in chat.bind_tools([spec], tool_choice="paint", parallel_tool_calls=False).stream("Paint it."):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None and len(merged.tool_calls) == 1 and merged.tool_calls[0]["name"] == "paint"


@pytest.mark.parametrize("engine", ["plain", "batched"])
def test_a_random_model_writes_json_valid_for_the_schema(engine: str) -> None:
    chat = LocalChatModel(**{**_tiny_params(), "max_new_tokens": 200, "engine": engine})
    result = chat.with_structured_output(CHOICE_SCHEMA, method="json_schema").invoke("Pick one.")
    assert result["pick"] in ("a", "b") and isinstance(result["sure"], bool)
    raw = chat.bind(response_format={"type": "json_object"}).invoke("Anything.").content
    assert isinstance(json.loads(raw), dict)


def test_the_engine_keeps_each_request_of_a_batch_to_its_own_grammar() -> None:
    """Requests decoded in the same steps: a call, sampled JSON and free text. Each grammar masks only its own
    row, so the free text is what that request writes alone."""
    params = {**_tiny_params(), "max_new_tokens": 120, "engine": "batched"}
    chat = LocalChatModel(**params)
    sampled = LocalChatModel(**{**params, "temperature": 1.0, "top_k": 50})  # the same model: the same engine
    assert chat.batching_engine() is sampled.batching_engine() is not None
    alone = chat.invoke("Tell me something.").content
    jobs = {
        "call": lambda: chat.bind_tools([PAINT_SPEC], tool_choice="any", parallel_tool_calls=False).invoke("Paint it."),
        "json": lambda: sampled.with_structured_output(CHOICE_SCHEMA, method="json_schema").invoke("Pick."),
        "text": lambda: chat.invoke("Tell me something."),
    }
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        results = {name: f.result(timeout=300) for name, f in futures.items()}
    assert results["call"].tool_calls[0]["name"] == "paint" and paint.invoke(results["call"].tool_calls[0]["args"])
    assert results["json"]["pick"] in ("a", "b") and isinstance(results["json"]["sure"], bool)
    assert results["text"].content == alone


def test_tool_results_go_back_into_the_next_turn() -> None:
    chat = LocalChatModel(**_tiny_params())
    call = {"name": "paint", "args": {"color": "red"}, "id": "call_1", "type": "tool_call"}
    history = [HumanMessage("Paint it red."), AIMessage("", tool_calls=[call]), ToolMessage("done: 2 coats", tool_call_id="call_1")]
    prompt = chat.render_prompt(history, tools=[{"type": "function", "function": {"name": "paint", "parameters": {}}}])
    assert '<tool_call>\n{"name": "paint", "arguments": {"color": "red"}}\n</tool_call>' in prompt
    assert "<tool_response>\ndone: 2 coats\n</tool_response>" in prompt
    assert prompt.index("# Tools") < prompt.index("Paint it red.")


def test_families_without_tool_calls_say_what_to_do() -> None:
    params = {**_tiny_params(), "spec": get_spec("xverse-7b")}
    with pytest.raises(NotImplementedError, match="llm_base_url"):
        LocalChatModel(**params).bind_tools([paint])
    with pytest.raises(ValueError, match="names no bound tool"):
        LocalChatModel(**_tiny_params()).bind_tools([paint], tool_choice="draw")


@pytest.mark.parametrize("seed", range(10))
def test_result_tags_echoed_around_an_answer_are_taken_out(seed: int) -> None:
    # The 1.5B model, after a tool result, often wraps its answer the way results came back to it.
    text = "<tool_response>\n旧金山明天有雨，记得带伞。\n</tool_response>"
    merged, chunks = _streamed(text, HERMES, seed)
    assert merged.content == "旧金山明天有雨，记得带伞。" and not chunks
    assert parse_tool_calls(text, HERMES)[0] == "旧金山明天有雨，记得带伞。"
    # A call after an echoed tag is still a call.
    merged, _ = _streamed("<tool_response>\n" + TWO_CALLS, HERMES, seed)
    assert merged.content == "Let me look." and [c["name"] for c in merged.tool_calls] == ["get_weather", "magic_function"]
