"""One LangChain chat model over a local Hugging Face causal LM, for every family."""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field, model_validator

from kb_assistant.config import Settings
from kb_assistant.errors import ModelError
from kb_assistant.llms.cancellation import cancel_event
from kb_assistant.llms.decoding_options import (
    SAMPLING_KEYS,
    choose_engine,
    engine_sampling,
    eos_token_ids,
    merge_sampling,
    plain_options,
)
from kb_assistant.llms.message_end import message_end, piece_chunks
from kb_assistant.llms.messages import to_chat_dicts
from kb_assistant.llms.model_lock import acquire_unless_cancelled, lock_for
from kb_assistant.llms.repeated_calls import answer_without_repeats
from kb_assistant.llms.repetition import RepetitionGuard
from kb_assistant.llms.specs import ModelSpec
from kb_assistant.llms.streaming import QueueStreamer, generation_work, relay
from kb_assistant.llms.structured import (
    after_tool_result,
    output_constraint,
    parse_tool_choice,
    structured_output,
    with_format_hint,
)
from kb_assistant.llms.tool_calls import ParsedCall, ToolCallParser, parsed_message
from kb_assistant.llms.written_calls import with_written_call


@dataclass
class _Piece:
    text: str
    usage: UsageMetadata | None = None
    finish: str = "stop"
    """Why generation ended (on the last piece): "length" at the token limit, else "stop"."""


class LocalChatModel(BaseChatModel):
    """A local causal LM as a LangChain chat model: invoke/stream/batch (sync and async), stop strings,
    per-call sampling overrides, usage metadata, safe to call from several threads.

    Build it from loaded objects (``LocalChatModel(model=..., tokenizer=..., spec=...)``) or with
    ``LocalChatModel.from_pretrained("qwen2-7b")`` / a path / ``packaged:NAME``.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    model: Any = Field(exclude=True)
    """A loaded ``transformers`` causal LM."""
    tokenizer: Any = Field(exclude=True)
    """Its tokenizer."""
    spec: ModelSpec
    """The family spec: template, stop strings, sampling defaults."""
    model_name: str = "local"
    """Shown in traces and usage."""
    temperature: float | None = None
    """Sampling temperature; 0 means greedy. None: the family default."""
    top_p: float | None = None
    top_k: int | None = None
    repetition_penalty: float | None = None
    max_new_tokens: int | None = None
    """Upper bound on generated tokens (``max_tokens`` is accepted too). None: the family default, else 512."""
    stop: list[str] | None = None
    """Extra stop strings for every call."""
    streaming: bool = False
    """Stream internally on ``invoke`` too (callbacks then get every token)."""
    timeout: float = 600.0
    """Seconds to wait for the next token before raising (a stuck generation never hangs the caller)."""
    engine: Literal["auto", "plain", "batched"] = "auto"
    """auto: the batching engine on CUDA for Llama-style models, else plain ``generate`` (see ``llms.engine``)."""
    engine_max_batch: int = 32
    """Requests the engine decodes together."""
    engine_max_len: int = 4096
    """Prompt + answer tokens per request in the engine's KV cache."""
    engine_prefix_rows: int = 4
    """Recent prompts kept in spare cache rows for prefix reuse."""
    engine_prefill_chunk: int = 1024
    """The most prompt tokens a prefill pass takes while other requests decode."""
    engine_decode_share: float = 0.55
    """The share of their speed decoding requests keep while later prompts are prefilled."""
    engine_int8: bool = False
    """Weight-only int8 weights in the engine (replaces the model's bf16 linear weights)."""
    prompt_lookup: int = 10
    """Tokens plain ``generate`` drafts from the prompt per step (the model's own choices, fewer passes); 0: off."""
    stop_repeats: bool = True
    """End an answer in words once it repeats 64 characters of itself (see :mod:`llms.repetition`)."""

    @model_validator(mode="before")
    @classmethod
    def _accept_max_tokens(cls, values: Any) -> Any:
        if isinstance(values, dict) and "max_tokens" in values:
            values = dict(values)
            values.setdefault("max_new_tokens", values.pop("max_tokens"))
        return values

    @classmethod
    def from_pretrained(cls, reference: str, settings: Settings | None = None, **fields: Any) -> LocalChatModel:
        """Load ``reference`` (family name, ``packaged:NAME`` or a folder) and wrap it."""
        from kb_assistant.llms.loading import load_model

        settings = settings or Settings.defaults()
        loaded = load_model(reference, settings)
        engine = {"engine": settings.llm_engine, "engine_max_batch": settings.engine_max_batch,
                  "engine_max_len": settings.engine_max_len, "engine_prefix_rows": settings.engine_prefix_rows,
                  "engine_prefill_chunk": settings.engine_prefill_chunk, "engine_int8": settings.engine_int8,
                  "engine_decode_share": settings.engine_decode_share,
                  "prompt_lookup": settings.llm_prompt_lookup, "stop_repeats": settings.llm_stop_repeats}
        return cls(model=loaded.model, tokenizer=loaded.tokenizer, spec=loaded.spec, model_name=reference,
                   **{**engine, **fields})

    @property
    def _llm_type(self) -> str:
        return "kb-assistant-local"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "family": self.spec.family, **self._sampling({})}

    # --- prompt -------------------------------------------------------------------------------
    def render_prompt(self, messages: list[BaseMessage], tools: list[dict[str, Any]] | None = None) -> str:
        """The exact prompt text the model sees for ``messages`` (with the generation prompt), offering ``tools``
        (OpenAI-format dicts) when given."""
        template = getattr(self.tokenizer, "chat_template", None) or self.spec.chat_template
        if tools:
            template = self._tools_template(template)
        if not template:
            msg = f"{self.spec.display_name} has no chat template; give the spec one"
            raise ModelError(msg)
        extra = {"tools": tools} if tools else {}
        return str(
            self.tokenizer.apply_chat_template(
                to_chat_dicts(messages), tokenize=False, add_generation_prompt=True, chat_template=template, **extra
            )
        )

    def _tools_template(self, template: str | None) -> str:
        fmt = self.spec.tool_format
        if fmt is None:
            msg = (
                f"{self.spec.display_name} was not trained to call tools and its chat template has none: use "
                "qwen2-7b, llama3-8b or the packaged Qwen2.5 models for tools, or serve this model with vLLM and a "
                "tool parser and point llm_base_url at it"
            )
            raise NotImplementedError(msg)
        return template if template and "tools" in template else fmt.template

    # --- tools and structured output -----------------------------------------------------------
    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer ``tools`` (LangChain tools, functions, Pydantic models or OpenAI-format dicts) to the model.

        ``tool_choice``: "auto" (default: the model decides), "any"/"required" (it must call one), a tool's name
        (it must call that one) or "none". Calls are constrained to the bound tools' names and argument schemas
        (llguidance) on the plain ``generate`` path; they arrive as ``AIMessage.tool_calls`` (broken ones as
        ``invalid_tool_calls``), streamed as ``tool_call_chunks``. ``parallel_tool_calls=False``: at most one call.
        A call that repeats one already answered in this turn (same tool, same arguments) is asked again without
        that tool, or answered in words from the results (:mod:`~kb_assistant.llms.repeated_calls`); so is a call
        with an identifier written nowhere in the conversation, or given where another kind of identifier goes
        (:mod:`~kb_assistant.llms.made_up_calls`). Streamed calls are therefore sent once the message is complete,
        after its words.
        """
        formatted = [convert_to_openai_tool(t) for t in tools]
        self._tools_template(getattr(self.tokenizer, "chat_template", None))  # unsupported families fail here
        parse_tool_choice(tool_choice, formatted)  # a wrong name fails at bind time, not at the first call
        return super().bind(tools=formatted, tool_choice=tool_choice, parallel_tool_calls=parallel_tool_calls,
                            **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """Answers as ``schema`` (a Pydantic class, a TypedDict or a JSON schema dict): a Pydantic object or a dict.

        ``json_schema`` (default): the answer is JSON decoded under the schema's grammar, so it always validates.
        ``function_calling``: the model must call a tool shaped like the schema. ``json_mode``: any JSON object
        (say in the prompt which keys). ``include_raw``: ``{"raw", "parsed", "parsing_error"}``.
        """
        if kwargs:
            msg = f"unsupported arguments {sorted(kwargs)}"
            raise ValueError(msg)
        return structured_output(self, schema, method=method, include_raw=include_raw, strict=strict)

    def check_output_options(
        self,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: Any = None,
        parallel_tool_calls: bool | None = None,
        response_format: dict[str, Any] | None = None,
    ) -> None:
        """Raise ``ValueError`` (or ``NotImplementedError`` for a family without tools) when these request options
        cannot be served: an unknown tool name in ``tool_choice``, a schema the grammar compiler rejects."""
        if tools:
            self._tools_template(getattr(self.tokenizer, "chat_template", None))
        options = {"tool_choice": tool_choice, "parallel_tool_calls": parallel_tool_calls,
                   "response_format": response_format}
        try:
            self._output_constraint(tools, options)
        except ModelError as e:
            raise ValueError(str(e)) from None

    def _output_constraint(
        self, tools: list[dict[str, Any]] | None, overrides: dict[str, Any], *, bare_parallel: bool = True
    ) -> Any:
        """The logits processor that keeps this request's output to its tools' or schema's grammar, or None."""
        try:
            return output_constraint(self.spec, self.tokenizer, self._eos_ids(), tools, overrides,
                                     bare_parallel=bare_parallel)
        except (ValueError, TypeError, RuntimeError) as e:  # llguidance rejects the schema
            first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ModelError(f"the output grammar is invalid: {first_line}: simplify the tool or response schema") from e

    @property
    def context_window(self) -> int:
        """Tokens of prompt plus answer a request may hold: the model's trained window, or the engine's
        ``engine_max_len`` when the batching engine serves it (llama.cpp's config gives its context)."""
        config = getattr(self.model, "config", None)
        window = int(getattr(config, "max_position_embeddings", 0) or 4096)
        engine = self.batching_engine()  # its KV cache rows hold engine_max_len tokens
        return min(window, engine.max_len) if engine is not None else window

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in this model's tokenizer."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    # --- sampling -----------------------------------------------------------------------------
    def _sampling(self, overrides: dict[str, Any]) -> dict[str, Any]:
        return merge_sampling(self.spec, {k: getattr(self, k) for k in SAMPLING_KEYS}, overrides)

    def _eos_ids(self) -> list[int]:
        return eos_token_ids(self.model, self.tokenizer, self.spec)

    def batching_engine(self) -> Any:
        """The model's shared :class:`~kb_assistant.llms.engine.GenerationEngine`, or None for plain ``generate``."""
        return choose_engine(self.model, self.spec, mode=self.engine, max_batch=self.engine_max_batch,
                             max_len=self.engine_max_len, prefix_rows=self.engine_prefix_rows,
                             prefill_chunk=self.engine_prefill_chunk, int8=self.engine_int8,
                             decode_share=self.engine_decode_share)

    # --- generation ---------------------------------------------------------------------------
    def _pieces(self, messages: list[BaseMessage], stop: list[str] | None, **overrides: Any) -> Iterator[_Piece]:
        """Generate in a worker thread; yield text as it is safe to emit, then a final piece with usage."""
        tools = overrides.get("tools") or None
        messages = with_format_hint(messages, overrides.get("response_format"))
        prompt = self.render_prompt(messages, tools=tools)
        encoded = self.tokenizer(prompt, add_special_tokens=False, return_tensors="pt")
        device = getattr(self.model, "device", None) or "cpu"
        input_ids = encoded["input_ids"].to(device)
        attention = encoded["attention_mask"].to(device)
        sampling = self._sampling(overrides)
        stops = [*self.spec.stop, *(self.stop or []), *(stop or [])]
        out: queue.Queue[Any] = queue.Queue()
        cancel = threading.Event()
        streamer = QueueStreamer(self.tokenizer, out)

        engine = self.batching_engine()
        constraint = self._output_constraint(tools, overrides, bare_parallel=not after_tool_result(messages))
        extra: dict[str, Any] = {}
        if constraint is not None and engine is None:
            from transformers import LogitsProcessorList

            extra["logits_processor"] = LogitsProcessorList([constraint])
        elif self.prompt_lookup and self.spec.prompt_lookup:
            # Answers copy the documents' words: drafting them from the prompt lets one pass check several
            # tokens. Every kept token is the model's own greedy choice (only bf16 rounding of a several-token
            # pass can tip a near-tie: 1 answer of 20 in benchmarks/prompt_lookup_bench.py).
            extra["prompt_lookup_num_tokens"] = self.prompt_lookup

        eos = self._eos_ids()
        options = {} if engine is not None else plain_options(self.model, sampling, eos, constraint, extra,
                                                                self.tokenizer.pad_token_id)
        work = generation_work(self.model, engine, input_ids, attention, cancel, streamer, out, options,
                               engine_sampling(sampling, eos, constraint.constraint if constraint else None)
                               if engine is not None else None)
        outer = cancel_event()  # set when the caller (an HTTP client) has gone
        lock = None if engine is not None else lock_for(self.model)
        if lock is not None and not acquire_unless_cancelled(lock, outer):
            return  # gone while waiting for its turn: nothing was computed for it
        # words only: a tool call or JSON may rightly repeat itself ([{"id": 1, …}, {"id": 2, …}])
        guard = RepetitionGuard() if self.stop_repeats and constraint is None and not tools else None
        try:
            for text in relay(work, out, stops, cancel, outer, self.timeout, guard):
                yield _Piece(text)
        finally:
            if lock is not None:
                lock.release()
        if outer is not None and outer.is_set():
            return  # the caller has gone: no usage to report to anyone
        produced = len(streamer.ids)
        prompt_tokens = int(input_ids.shape[1])
        yield _Piece(
            "",
            UsageMetadata(input_tokens=prompt_tokens, output_tokens=produced, total_tokens=prompt_tokens + produced),
            "length" if produced >= int(sampling["max_new_tokens"]) else "stop",
        )

    def _tool_parser(self, kwargs: dict[str, Any]) -> ToolCallParser | None:
        tools = kwargs.get("tools")
        if not tools or kwargs.get("tool_choice") == "none" or self.spec.tool_format is None:
            return None
        return ToolCallParser(self.spec.tool_format)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        parser = self._tool_parser(kwargs)
        # Calls are held to the end of the message: a repeated one, or one with a made-up identifier, is asked
        # again instead before an agent can run it.
        held: list[AIMessageChunk] = []
        for piece in self._pieces(messages, stop, **kwargs):
            out = piece_chunks(parser, piece.text, piece.usage is not None, held)
            end = () if piece.usage is None else message_end(
                messages, kwargs, parser, held, piece.usage, self.model_name,
                lambda asked, options: self._checked(asked, stop, None, **options), piece.finish)
            for message in itertools.chain(out, end):  # the words first, then what the end decides
                chunk = ChatGenerationChunk(message=message)
                if run_manager and (message.text or message.tool_call_chunks):
                    run_manager.on_llm_new_token(message.text, chunk=chunk)
                yield chunk

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = answer_without_repeats(
            messages, kwargs, lambda asked, options: self._checked(asked, stop, run_manager, **options))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _checked(self, messages: list[BaseMessage], stop: list[str] | None,
                 run_manager: CallbackManagerForLLMRun | None, **kwargs: Any) -> AIMessage:
        """One generation as a message, with a call the model wrote into its words taken as its call."""
        return with_written_call(messages, kwargs, self._message(messages, stop, run_manager, **kwargs))

    def _message(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: CallbackManagerForLLMRun | None,
        **kwargs: Any,
    ) -> AIMessage:
        text: list[str] = []
        usage: UsageMetadata | None = None
        finish = "stop"
        for piece in self._pieces(messages, stop, **kwargs):
            text.append(piece.text)
            usage = piece.usage or usage
            finish = piece.finish
            if run_manager and piece.text:
                run_manager.on_llm_new_token(piece.text)
        content = "".join(text)
        calls: list[ParsedCall] = []
        parser = self._tool_parser(kwargs)
        if parser is not None:
            parser.push(content)
            parser.finish()
            content, calls = parser.text, parser.calls
        return parsed_message(content, calls, usage, self.model_name, finish)
