"""Constrained decoding with llguidance: tool calls and JSON answers that always parse and match their schema.

At each step the grammar's set of allowed next tokens masks the logits, so a call names a bound tool with
arguments valid for its schema, and a ``json_schema`` answer validates. llguidance (the engine behind vLLM's,
SGLang's and llama.cpp's structured output) computes a mask in tens of microseconds.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from kb_assistant.llms.streaming import single_token
from kb_assistant.llms.tool_formats import ToolFormat

LENIENT_SEPARATOR = "\n"
_tokenizers: dict[int, tuple[Any, Any]] = {}
_tokenizers_guard = threading.Lock()


def guidance_tokenizer(tokenizer: Any, eos_ids: list[int]) -> Any:
    """llguidance's view of a Hugging Face fast tokenizer (built once per tokenizer: about 1-2 s)."""
    import llguidance.hf

    with _tokenizers_guard:
        cached = _tokenizers.get(id(tokenizer))
        if cached is None or cached[0] is not tokenizer:
            cached = (tokenizer, llguidance.hf.from_tokenizer(tokenizer, eos_token=eos_ids or None))
            _tokenizers[id(tokenizer)] = cached
        return cached[1]


def _literal(text: str, tokenizer: Any, guidance: Any) -> str:
    """A grammar literal; a marker the tokenizer has as one special token (Qwen's <tool_call>) is that token."""
    token = single_token(tokenizer, text)
    if token is not None and guidance.is_special_token(token):
        return f"<[{token}]>"
    return json.dumps(text)


# JSON written on one line with the usual separators: a grammar that allowed any whitespace let weak models pad
# arguments with newlines until max_new_tokens.
_COMPACT = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}


def compact(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with llguidance's layout options: one line, ``", "`` and ``": "`` between items."""
    own = schema.get("x-guidance")
    return {**schema, "x-guidance": {**_COMPACT, **(own if isinstance(own, dict) else {})}}


def strict_arguments(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's parameter schema with no keys beyond those it declares, unless it says otherwise; compact."""
    schema = dict(schema or {"type": "object", "properties": {}})
    schema.setdefault("type", "object")
    if schema.get("type") == "object":
        schema.setdefault("properties", {})
        schema.setdefault("additionalProperties", False)
    return compact(schema)


def tool_call_grammar(
    fmt: ToolFormat,
    tools: list[dict[str, Any]],
    *,
    required: bool,
    only: str | None,
    parallel: bool,
    forbidden: bool = False,
    bare_parallel: bool = True,
    tokenizer: Any,
    guidance: Any,
) -> str:
    """A Lark grammar for the answer when tools are bound.

    ``required`` (``tool_choice`` "any"/"required" or a tool's name): the answer is one call (several with
    ``parallel``) and nothing else. ``forbidden`` (``tool_choice`` "none"): text only, none of it a call. Otherwise
    free text, where each call that the model starts is completed validly, and an answer that starts as JSON is a
    call too (several with ``parallel`` and ``bare_parallel``). Text may not start like JSON in either case.
    """
    import llguidance

    functions = [t["function"] for t in tools if t.get("type", "function") == "function"]
    if only is not None:
        functions = [f for f in functions if f["name"] == only]
    bodies = []
    for f in functions:
        head = '{"name": ' + json.dumps(f["name"], ensure_ascii=False) + ', "' + fmt.args_key + '": '
        schema = json.dumps(strict_arguments(f.get("parameters") or {}), ensure_ascii=False)
        bodies.append(f'{json.dumps(head)} %json {schema} "}}"')
    lines = ["%llguidance {}", "json_call: " + " | ".join(bodies)]
    lines.append(f"body: {json.dumps(fmt.pad)} json_call {json.dumps(fmt.pad)}" if fmt.pad else "body: json_call")
    opener = _literal(fmt.open, tokenizer, guidance) if fmt.open else ""
    closer = _literal(fmt.close, tokenizer, guidance) if fmt.close else ""
    lines.append(f"call: {opener} body {closer}".strip())
    separator = json.dumps(fmt.separator)
    lines.append("WS: /[ \\t\\n]*/")
    # The model may end its turn after any call; what it writes before that end is whitespace at most.
    calls = f"call ({separator}? call)* WS" if parallel else "call WS"
    if required:
        lines.append(f"start: {calls}")
        return llguidance.LLMatcher.grammar_from_lark("\n".join(lines))
    lines.append("TEXT: /(.|\\n)*/")
    # Small models like to write a call as bare or fenced JSON without the tags; text may not start like that,
    # so such a call is written as a proper call instead of being lost in the answer.
    lines.append("PROSE: /[ \\t\\n]*[^{`\\[ \\t\\n](.|\\n)*/")
    if forbidden:  # the opener, a special token, cannot occur in TEXT; a plain-text one is not parsed then
        lines.append("start: PROSE")
    elif fmt.open and opener.startswith("<["):  # a special token cannot occur in text: no lookahead needed
        # A message that starts as JSON is a call written without its tags (small models do so).
        bare = (f"json_call ({json.dumps(LENIENT_SEPARATOR)}? json_call)* WS" if parallel and bare_parallel
                else "json_call WS")
        alternatives = [calls, bare, "PROSE (call TEXT)" + ("*" if parallel else "?"), "WS"]
        lines.append("start: " + " | ".join(alternatives))
    elif fmt.open:  # the opener is plain text: a lazy match ends the text at its first occurrence
        lines.append(f"trigger[lazy]: TEXT {opener}")
        lines.append(f"tagged: trigger body {closer}".rstrip())
        lines.append(f"start: {calls} | tagged" + ("*" if parallel else "?") + " TEXT")
    else:  # untagged JSON: the whole answer is calls, or it is text
        lines.append(f"start: {calls} | PROSE | WS")
    return llguidance.LLMatcher.grammar_from_lark("\n".join(lines))


def json_grammar(schema: dict[str, Any] | None) -> str:
    """A grammar for one JSON value matching ``schema`` (any JSON object when None)."""
    import llguidance

    return llguidance.LLMatcher.grammar_from_json_schema(json.dumps(compact(schema or {"type": "object"})))


class GrammarConstraint:
    """One request's grammar: which tokens may come next, as a packed bitmask (bit ``t % 32`` of word ``t // 32``).

    Used by the batching engine (``Sampling.constraint``: it asks for the mask of every constrained row at each
    step, given the tokens the row has produced) and, through :class:`GrammarLogitsProcessor`, by ``generate``.
    Once the grammar is complete (or broken), only the end-of-sequence token is allowed.
    """

    def __init__(self, grammar: str, guidance: Any) -> None:
        import llguidance

        self.matcher = llguidance.LLMatcher(guidance, grammar)
        if self.matcher.is_error():
            raise ValueError(self.matcher.get_error())
        self.vocab = int(guidance.vocab_size)
        self.eos = int(guidance.eos_token)
        self.consumed = 0
        self._words = np.zeros((self.vocab + 31) // 32, dtype=np.int32)
        self._end_only = np.zeros_like(self._words)
        self._end_only[self.eos // 32] = np.int32(np.uint32(1 << (self.eos % 32)).view(np.int32))

    def allowed(self, generated: Sequence[int]) -> np.ndarray:
        """The tokens allowed after ``generated`` (this request's output so far, which only grows)."""
        if not self._advance(generated):
            return self._end_only
        self.matcher.unsafe_compute_mask_ptr(self._words.ctypes.data, self._words.nbytes)
        return self._words

    @classmethod
    def allowed_batch(cls, constraints: Sequence[GrammarConstraint], generated: Sequence[Sequence[int]]) -> np.ndarray:
        """:meth:`allowed` for several requests at once (one row each), their masks computed in parallel
        threads: one at a time, eight constrained rows would add eight masks' time to every decode step."""
        masks = np.empty((len(constraints), len(constraints[0]._words)), dtype=np.int32)
        live = []
        for row, (constraint, tokens) in enumerate(zip(constraints, generated, strict=True)):
            if constraint._advance(tokens):
                live.append((constraint.matcher, row))
            else:
                masks[row] = constraint._end_only
        if live:
            _executor().unsafe_compute_mask_ptr(live, masks.ctypes.data, masks.shape[1] * 4, len(constraints))
        return masks

    def _advance(self, generated: Sequence[int]) -> bool:
        """Take in the tokens produced since the last call; False once the grammar is complete or broken."""
        for token in generated[self.consumed :]:
            self.matcher.consume_token(int(token))
        self.consumed = len(generated)
        return not (self.matcher.is_error() or self.matcher.is_stopped())


@functools.cache
def _executor() -> Any:
    """llguidance's thread pool for computing several masks at once (one per process)."""
    import llguidance

    return llguidance.LLExecutor()


class GrammarLogitsProcessor:
    """A ``transformers`` logits processor that lets through only the tokens the grammar allows (batch of one)."""

    def __init__(self, grammar: str, guidance: Any) -> None:
        self.constraint = GrammarConstraint(grammar, guidance)
        self.prompt_length: int | None = None

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        if self.prompt_length is None:
            self.prompt_length = int(input_ids.shape[1])
        words = self.constraint.allowed(input_ids[0, self.prompt_length :].tolist())
        bits = np.unpackbits(words.view(np.uint8), bitorder="little")[: self.constraint.vocab].astype(bool)
        allowed = torch.zeros(scores.shape[-1], dtype=torch.bool)
        width = min(self.constraint.vocab, scores.shape[-1])
        allowed[:width] = torch.from_numpy(bits[:width])
        return scores.masked_fill(~allowed.to(scores.device), float("-inf"))
