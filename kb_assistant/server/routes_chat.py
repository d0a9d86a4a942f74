"""Chat endpoints: the tutorials' ``POST /`` and the OpenAI-compatible ``/v1`` API."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from kb_assistant.kb import KBStore, list_kbs
from kb_assistant.server.deps import Ready, State, busy, check_kb_name
from kb_assistant.server.generation import (
    check_prompt,
    from_openai,
    stream_chat,
    stream_kb,
    to_messages,
    with_sampling,
)
from kb_assistant.server.schemas import (
    ChatCompletionRequest,
    EmbeddingRequest,
    TutorialRequest,
    TutorialResponse,
    error_responses,
)
from kb_assistant.server.state import AppState, ThreadedParts

router = APIRouter(responses=error_responses(400, 401, 422))
_GENERATION_ERRORS = error_responses(403, 404, 413, 429, 503)


def _ensure_kb(state: AppState, kb: str) -> None:
    check_kb_name(kb)
    if not KBStore(state.for_kb(kb)).exists():
        raise HTTPException(404, f"knowledge base {kb!r} does not exist (GET /v1/kbs lists them)")


class ClientGone(Exception):
    """The client closed the connection before its answer was ready."""


def start_generation(state: AppState, produce: Any) -> ThreadedParts[dict[str, Any]]:
    """Take a generation slot (429 when the queue is full) and start ``produce()`` in a worker thread;
    the slot is given back when the work has stopped, not when the client leaves."""
    if not state.gate.try_enter():
        raise busy()
    try:
        return ThreadedParts(produce, on_exit=state.gate.leave)
    except BaseException:
        state.gate.leave()
        raise


class ToolCalls:
    """Tool-call chunks merged by index into OpenAI's ``tool_calls`` entries."""

    def __init__(self) -> None:
        self.calls: dict[int, dict[str, Any]] = {}

    def add(self, chunk: dict[str, Any]) -> None:
        call = self.calls.setdefault(int(chunk.get("index") or 0), {"id": None, "type": "function",
                                                                       "function": {"name": "", "arguments": ""}})
        call["id"] = call["id"] or chunk.get("id")
        call["function"]["name"] += chunk.get("name") or ""
        call["function"]["arguments"] += chunk.get("args") or ""

    def as_list(self) -> list[dict[str, Any]]:
        return [self.calls[i] for i in sorted(self.calls)]


async def _collect(
    parts: ThreadedParts[dict[str, Any]], request: Request, calls: ToolCalls | None = None
) -> tuple[str, list[dict[str, Any]], dict[str, Any], str]:
    """The answer to show (the verified one for KB answers), its sources, the model's usage report and why it
    stopped ("stop", or "length" at the token limit); tool-call chunks go into ``calls``. Raises
    :class:`ClientGone` (and stops the model) when the client disconnects first."""
    answer, sources, usage, finish = "", [], {}, "stop"
    finished = False
    async for part in parts.read(request.is_disconnected):
        if "tool_call" in part:
            if calls is not None:
                calls.add(part["tool_call"])
            continue
        if "verified" in part:
            answer, sources = part["verified"]["answer"], part["verified"]["sources"]
            continue
        if "done" in part:
            finished = True
            continue
        answer += part.get("answer", "")
        sources = part.get("sources", sources)
        usage = part.get("usage", usage)
        finish = part.get("finish", finish)
    if not finished:
        raise ClientGone
    return answer.strip(), sources, usage, finish


def _with_end(produce: Any) -> Any:
    """``produce()``'s parts, then ``{'done': True}``: tells a finished answer from an abandoned one."""

    def parts() -> Any:
        yield from produce()
        yield {"done": True}

    return parts


@router.post("/", response_model=TutorialResponse, response_model_exclude_none=True, responses=_GENERATION_ERRORS)
async def tutorial_chat(body: TutorialRequest, request: Request, state: Ready) -> Any:
    """The self-llm tutorials' endpoint: ``{"prompt", "history"}`` in, ``{"response", "history", "status", "time"}`` out."""
    max_new = min(body.max_length or state.settings.max_new_tokens, state.settings.max_tokens_limit)
    llm = with_sampling(
        state.llm, temperature=body.temperature, top_p=body.top_p, top_k=body.top_k,
        repetition_penalty=body.repetition_penalty, max_new_tokens=max_new,
    )
    if body.kb:
        _ensure_kb(state, body.kb)
        if not body.prompt.strip():
            raise HTTPException(400, "the question is empty: send a non-empty 'prompt'")
    history = [(q, a) for q, a in body.history]
    messages = to_messages([p for q, a in history for p in (("user", q), ("assistant", a))] + [("user", body.prompt)])
    check_prompt(state, llm, messages, max_new)
    kb = body.kb
    if kb:
        parts = start_generation(state, _with_end(lambda: stream_kb(state, llm, kb, body.prompt, history)))
    else:
        parts = start_generation(state, _with_end(lambda: stream_chat(llm, messages, None)))
    try:
        answer, sources, _, _ = await _collect(parts, request)
    except ClientGone:
        return Response(status_code=499)  # nobody reads it; the model was stopped
    return TutorialResponse(
        response=answer,
        history=[*body.history, [body.prompt, answer]],
        status=200,
        time=datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        sources=sources if body.kb else None,
    )


@router.get("/v1/models")
async def list_models(state: State) -> dict[str, Any]:
    """``default`` (the configured model) and ``kb:NAME`` for each knowledge base (answers with retrieval)."""
    created = int(time.time())
    names = ["default", state.settings.llm_model] + [f"kb:{info.name}" for info in list_kbs(state.settings)]
    return {"object": "list", "data": [{"id": n, "object": "model", "created": created, "owned_by": "kb-assistant"} for n in names]}


def _resolve_model(state: AppState, body: ChatCompletionRequest) -> str | None:
    """The KB to answer from, or None for plain chat; 404 for unknown model names."""
    if body.kb:
        _ensure_kb(state, body.kb)
        return body.kb
    if body.model in ("default", state.settings.llm_model):
        return None
    if body.model.startswith("kb:"):
        kb = body.model[3:]
        _ensure_kb(state, kb)
        return kb
    raise HTTPException(404, f"unknown model {body.model!r}; GET /v1/models lists the served models")


@router.post("/v1/chat/completions", response_model=None, responses=_GENERATION_ERRORS)
async def chat_completions(body: ChatCompletionRequest, request: Request, state: Ready) -> Any:
    """OpenAI-compatible chat completions, streaming as server-sent events with ``stream: true``."""
    kb = _resolve_model(state, body)
    max_new = min(
        body.max_completion_tokens or body.max_tokens or state.settings.max_new_tokens, state.settings.max_tokens_limit
    )
    llm = with_sampling(state.llm, temperature=body.temperature, top_p=body.top_p, max_new_tokens=max_new)
    stop = [body.stop] if isinstance(body.stop, str) else body.stop
    messages = from_openai(body.messages)
    options = _tool_options(body)  # the schema's validator has checked that they fit together
    if options:
        await run_in_threadpool(_check_options, llm, options)
    prompt_tokens = check_prompt(state, llm, messages, max_new, options.get("tools"))
    if kb is not None:
        users = [m for m in body.messages if m.role == "user"]
        if not users:
            raise HTTPException(400, "answering from a knowledge base needs a user message")
        history = _pairs(body)
        question = users[-1].text
        if not question.strip():
            raise HTTPException(400, "the question is empty: the last user message needs text")

        def produce() -> Any:
            return stream_kb(state, llm, kb, question, history)
    else:

        def produce() -> Any:
            return stream_chat(llm, messages, stop, **options)

    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if not body.stream:
        parts = start_generation(state, _with_end(produce))
        calls = ToolCalls()
        try:
            answer, sources, usage, finish = await _collect(parts, request, calls)
        except ClientGone:
            return Response(status_code=499)  # nobody reads it; the model was stopped
        message: dict[str, Any] = {"role": "assistant", "content": answer}
        if calls.calls:
            message.update(content=answer or None, tool_calls=calls.as_list())
        response: dict[str, Any] = {
            "id": completion_id, "object": "chat.completion", "created": created, "model": body.model,
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls.calls else finish}],
            "usage": _usage(usage, prompt_tokens, llm, answer),
        }
        if kb is not None:
            response["sources"] = sources
        return response

    async def events() -> AsyncIterator[str]:
        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            body_ = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": body.model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
            return f"data: {json.dumps(body_, ensure_ascii=False)}\n\n"

        answer, usage, called, finish = "", {}, False, "stop"
        try:
            yield chunk({"role": "assistant", "content": ""})
            async for part in parts.read(request.is_disconnected):
                if "tool_call" in part:
                    called = True
                    yield chunk({"tool_calls": [_tool_call_delta(part["tool_call"])]})
                    continue
                if "verified" in part:  # the checked answer replaces the streamed draft
                    answer = part["verified"]["answer"]
                    yield chunk({"content": answer} if body.verified_only else {}, verified=part["verified"])
                    continue
                if "retry" in part:  # asked again in the passages' language: a new draft follows
                    answer = ""
                    yield chunk({}, retry=part["retry"])
                    continue
                if "sources" in part:
                    yield chunk({}, sources=part["sources"])
                if part.get("answer") and not (kb is not None and body.verified_only):
                    answer += part["answer"]
                    yield chunk({"content": part["answer"]})
                usage = part.get("usage", usage)
                finish = part.get("finish", finish)
            yield chunk({}, "tool_calls" if called else finish, usage=_usage(usage, prompt_tokens, llm, answer))
            yield "data: [DONE]\n\n"
        except Exception as e:  # headers are sent: report the failure in the stream
            yield f"data: {json.dumps({'error': {'message': str(e), 'type': 'server_error'}})}\n\n"
        finally:
            parts.cancel()  # a client that left stops the model; the slot frees when the work has stopped

    parts = start_generation(state, produce)
    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _pairs(body: ChatCompletionRequest) -> list[tuple[str, str]]:
    turns = [m for m in body.messages if m.role in ("user", "assistant")][:-1]
    return [(q.text, a.text) for q, a in zip(turns[::2], turns[1::2], strict=False) if q.role == "user" and a.role == "assistant"]


def _tool_options(body: ChatCompletionRequest) -> dict[str, Any]:
    """The request's tools, tool_choice, parallel_tool_calls and response_format as chat-model keyword arguments."""
    options: dict[str, Any] = {}
    if body.tools:
        options["tools"] = [{"type": "function", "function": t.function.model_dump(exclude_none=True)} for t in body.tools]
        if body.tool_choice is not None:
            choice = body.tool_choice
            options["tool_choice"] = choice if isinstance(choice, str) else {"type": "function", "function": dict(choice.function)}
        if body.parallel_tool_calls is not None:
            options["parallel_tool_calls"] = body.parallel_tool_calls
    if body.response_format is not None and body.response_format.type != "text":
        response_format: dict[str, Any] = {"type": body.response_format.type}
        if body.response_format.json_schema is not None:
            schema = body.response_format.json_schema
            response_format["json_schema"] = {"name": schema.name, "schema": schema.schema_, "strict": schema.strict}
        options["response_format"] = response_format
    return options


def _check_options(llm: Any, options: dict[str, Any]) -> None:
    """422 for a tool or response schema that is not a JSON schema the grammar compiler takes; 400 when the
    configured model's family was not trained for tools."""
    check = getattr(llm, "check_output_options", None)
    if check is None:
        return  # a served model: its server says
    try:
        check(**options)
    except NotImplementedError as e:
        raise HTTPException(400, str(e).splitlines()[0]) from None
    except ValueError as e:
        raise HTTPException(422, str(e).splitlines()[0]) from None


def _tool_call_delta(chunk: dict[str, Any]) -> dict[str, Any]:
    """A tool-call chunk as OpenAI streams it: id, type and name first, then pieces of the arguments."""
    delta: dict[str, Any] = {"index": int(chunk.get("index") or 0), "function": {"arguments": chunk.get("args") or ""}}
    if chunk.get("id"):
        delta.update(id=chunk["id"], type="function")
    if chunk.get("name"):
        delta["function"]["name"] = chunk["name"]
    return delta


def _usage(usage: dict[str, Any], prompt_tokens: int, llm: Any, answer: str) -> dict[str, int]:
    if usage:
        return {"prompt_tokens": usage.get("input_tokens", 0), "completion_tokens": usage.get("output_tokens", 0),
                "total_tokens": usage.get("total_tokens", 0)}
    completion = llm.count_tokens(answer) if hasattr(llm, "count_tokens") else 0
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion, "total_tokens": prompt_tokens + completion}


@router.post("/v1/embeddings", responses=error_responses(403, 413, 503))
async def embeddings(body: EmbeddingRequest, state: Ready) -> dict[str, Any]:
    """OpenAI-compatible embeddings with the configured embedding model (document prompt)."""
    texts = [body.input] if isinstance(body.input, str) else body.input
    if not texts or len(texts) > 2048 or any(not isinstance(t, str) or not t for t in texts):
        raise HTTPException(400, "input must be a non-empty string or a list of 1-2048 non-empty strings")
    if sum(len(t) for t in texts) > state.settings.max_prompt_chars * 8:
        raise HTTPException(413, "input is too long")
    vectors = await run_in_threadpool(state.embeddings.embed_documents, texts)
    tokens = state.embeddings.count_tokens(texts)
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
        "model": state.settings.embedding_model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
