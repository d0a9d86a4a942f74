"""Tools and structured output around the chat model: tool_choice, the grammar of a request, the JSON hint,
``with_structured_output``'s runnable."""

from __future__ import annotations

import json
from operator import itemgetter
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, SystemMessage, ToolMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import JsonOutputKeyToolsParser, PydanticToolsParser
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

from kb_assistant.llms.specs import ModelSpec

_RESPONSE_FORMAT_HINT = "Answer with one JSON object only{schema}."


def after_tool_result(messages: list[BaseMessage]) -> bool:
    """Whether the model answers a tool's result. Small models then often echo the call they made, as bare JSON
    and many times over: there the grammar takes one untagged call at most (``repeated_calls`` deals with it)."""
    return bool(messages) and isinstance(messages[-1], ToolMessage)


def parse_tool_choice(choice: Any, tools: list[dict[str, Any]]) -> tuple[bool, str | None]:
    """``tool_choice`` in any of its spellings -> (a call is required, the one tool it must be)."""
    if choice in (None, "auto", False, "none"):
        return False, None
    if choice in ("any", "required", True):
        return True, None
    if isinstance(choice, dict):
        choice = (choice.get("function") or {}).get("name") or choice.get("name")
    names = [t["function"]["name"] for t in tools]
    if isinstance(choice, str) and choice in names:
        return True, choice
    msg = f"tool_choice {choice!r} names no bound tool; bound: {', '.join(names)} (or use 'auto', 'any', 'none')"
    raise ValueError(msg)


def output_constraint(
    spec: ModelSpec, tokenizer: Any, eos_ids: list[int], tools: list[dict[str, Any]] | None,
    overrides: dict[str, Any], *, bare_parallel: bool = True,
) -> Any:
    """The logits processor that keeps a request's output to its tools' or schema's grammar, or None."""
    from kb_assistant.llms.constrained import (
        GrammarLogitsProcessor,
        guidance_tokenizer,
        json_grammar,
        tool_call_grammar,
    )

    response_format = overrides.get("response_format") or {}
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    guidance = None
    grammar = None
    if tools and spec.tool_format is not None:
        choice = overrides.get("tool_choice")
        required, only = parse_tool_choice(choice, tools)
        parallel = overrides.get("parallel_tool_calls") is not False
        guidance = guidance_tokenizer(tokenizer, eos_ids)
        grammar = tool_call_grammar(spec.tool_format, tools, required=required, only=only,
                                    parallel=parallel, forbidden=choice == "none", bare_parallel=bare_parallel,
                                    tokenizer=tokenizer, guidance=guidance)
    elif kind in ("json_object", "json_schema"):
        schema = (response_format.get("json_schema") or {}).get("schema") if kind == "json_schema" else None
        guidance = guidance_tokenizer(tokenizer, eos_ids)
        grammar = json_grammar(schema)
    if grammar is None:
        return None
    return GrammarLogitsProcessor(grammar, guidance)


def with_format_hint(messages: list[BaseMessage], response_format: Any) -> list[BaseMessage]:
    """Tell the model the JSON it must write (the grammar forces the shape; the hint helps the values)."""
    if not isinstance(response_format, dict) or response_format.get("type") not in ("json_object", "json_schema"):
        return messages
    schema = (response_format.get("json_schema") or {}).get("schema")
    hint = _RESPONSE_FORMAT_HINT.format(
        schema=f" matching this JSON schema: {json.dumps(schema, ensure_ascii=False)}" if schema else ""
    )
    if messages and isinstance(messages[0], SystemMessage):
        return [SystemMessage(f"{messages[0].text}\n\n{hint}"), *messages[1:]]
    return [SystemMessage(hint), *messages]


def structured_output(
    model: BaseChatModel,
    schema: dict[str, Any] | type,
    *,
    method: Literal["json_schema", "function_calling", "json_mode"],
    include_raw: bool,
    strict: bool | None,
) -> Runnable[Any, Any]:
    """``model.with_structured_output(...)``: the bound model and the parser for ``method``."""
    pydantic_schema = isinstance(schema, type) and is_basemodel_subclass(schema)
    trace = {"ls_structured_output_format": {"kwargs": {"method": method, "strict": strict}, "schema": schema}}
    llm: Runnable[Any, Any]
    parser: Runnable[Any, Any]
    if method == "function_calling":
        name = convert_to_openai_tool(schema)["function"]["name"]
        llm = model.bind_tools([schema], tool_choice=name, parallel_tool_calls=False, **trace)
        parser = (PydanticToolsParser(tools=[schema], first_tool_only=True) if pydantic_schema  # type: ignore[list-item]
                  else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True))
    elif method in ("json_schema", "json_mode"):
        if method == "json_schema":
            json_schema = convert_to_json_schema(schema)
            response_format = {"type": "json_schema",
                               "json_schema": {"name": json_schema.get("title", "answer"), "schema": json_schema}}
        else:
            response_format = {"type": "json_object"}
        llm = model.bind(response_format=response_format, **trace)
        parser = PydanticOutputParser(pydantic_object=schema) if pydantic_schema else JsonOutputParser()  # type: ignore[arg-type]
    else:
        msg = f"unknown method {method!r}: use 'json_schema', 'function_calling' or 'json_mode'"
        raise ValueError(msg)
    if not include_raw:
        return llm | parser
    parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
    fallback = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parsed.with_fallbacks([fallback], exception_key="parsing_error")

