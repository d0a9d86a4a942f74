"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kb_assistant.config import KB_NAME_PATTERN

KBNameField = Annotated[str, Field(pattern=KB_NAME_PATTERN.pattern, description="letters, digits, '-' and '_'")]
Turn = Annotated[list[str], Field(min_length=2, max_length=2, description="[question, answer]")]
"""One past exchange. A two-item list, not a tuple: OpenAPI 3.1 viewers and fuzzers reject tuple schemas."""
NonBlank = Annotated[str, Field(min_length=1, pattern=r"\S")]


class ErrorBody(BaseModel):
    """Every error the API returns: one line that says what went wrong and what to do."""

    detail: str


_ERROR_TEXT = {
    400: "Bad request: the detail says what to change (e.g. an empty question, a prompt over the model's window)",
    401: "Missing or wrong API key",
    403: "A write sent by another web page (its Origin is not in cors_origins)",
    404: "No such knowledge base, document or model",
    409: "Another ingest is writing to this knowledge base",
    413: "Request body or prompt over the limit",
    422: "The request does not match this schema",
    429: "The generation queue is full; retry after Retry-After seconds",
    503: "The models are still loading (or failed to load); see /health",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, all with the ``{"detail": "..."}`` body."""
    return {code: {"model": ErrorBody, "description": _ERROR_TEXT[code]} for code in codes}


class TutorialRequest(BaseModel):
    """The body the DeepSeek-Coder-V2 / self-llm FastAPI tutorials' clients send to ``POST /``."""

    # strict: what the schema says is what is accepted (lax mode took JSON true for an int, 1 for a string)
    model_config = ConfigDict(extra="ignore", strict=True)

    prompt: NonBlank
    history: list[Turn] = Field(default_factory=list)
    max_length: int | None = Field(default=None, ge=1, le=32768)
    top_p: float | None = Field(default=None, gt=0, le=1)
    top_k: int | None = Field(default=None, ge=1, le=1000)
    temperature: float | None = Field(default=None, ge=0, le=2)
    repetition_penalty: float | None = Field(default=None, gt=0, le=10)
    kb: KBNameField | None = None


class TutorialResponse(BaseModel):
    response: str
    history: list[Turn]
    status: int
    time: str
    sources: list[dict[str, Any]] | None = None


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    type: Literal["text"]
    text: str


class FunctionCallIn(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    name: Annotated[str, Field(min_length=1, max_length=256)]
    arguments: str = Field(default="{}", max_length=65536, description="the arguments as a JSON object text")

    @field_validator("arguments")
    @classmethod
    def _json_object(cls, value: str) -> str:
        try:
            parsed = json.loads(value or "{}")
        except json.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, dict):
            msg = "'arguments' must be a JSON object as text, like '{\"city\": \"Paris\"}'"
            raise ValueError(msg)  # noqa: TRY004 - pydantic turns ValueError into the 422
        return value


class ToolCallIn(BaseModel):
    """A call an assistant message made (sent back in the history)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    id: Annotated[str, Field(min_length=1, max_length=256)]
    type: Literal["function"] = "function"
    function: FunctionCallIn


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    role: Literal["system", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None
    tool_calls: list[ToolCallIn] | None = Field(default=None, max_length=128)
    """assistant messages: the calls it made"""
    tool_call_id: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    """tool messages (required there): the call this is the result of"""

    @model_validator(mode="after")
    def _tool_result_names_its_call(self) -> ChatMessageIn:
        if self.role == "tool" and not self.tool_call_id:
            msg = "a 'tool' message needs the 'tool_call_id' of the call it answers"
            raise ValueError(msg)
        return self

    @property
    def text(self) -> str:
        """The content as one string (text parts joined)."""
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""


class FunctionIn(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    description: str = Field(default="", max_length=8192)
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool | None = None


class ToolIn(BaseModel):
    """A function the model may call (OpenAI's ``tools`` entry)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    type: Literal["function"]
    function: FunctionIn


class NamedToolChoice(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    type: Literal["function"]
    function: dict[Literal["name"], str]


class JsonSchemaFormat(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, populate_by_name=True)

    name: str = Field(default="answer", max_length=64)
    schema_: dict[str, Any] = Field(default_factory=lambda: {"type": "object"}, alias="schema")
    strict: bool | None = None


class ResponseFormat(BaseModel):
    """``text``; ``json_object`` (any JSON object); ``json_schema`` (JSON valid for the schema, by constrained
    decoding on the local model)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None


class ChatCompletionRequest(BaseModel):
    """OpenAI ``/v1/chat/completions``; ``kb`` (or model ``kb:NAME``) answers from a knowledge base."""

    model_config = ConfigDict(extra="ignore", strict=True)

    model: str = "default"
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1, le=32768)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=32768)
    stop: str | list[str] | None = None
    tools: list[ToolIn] | None = Field(default=None, max_length=128)
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    kb: KBNameField | None = None
    verified_only: bool = False
    """KB answers, streamed: send only the answer checked against its sources (one content delta at the end)
    instead of the model's draft as it is generated. For clients that cannot read the final ``verified`` event."""

    @model_validator(mode="after")
    def _tool_options_fit_together(self) -> ChatCompletionRequest:
        names = [t.function.name for t in self.tools or []]
        choice = self.tool_choice
        if choice not in (None, "none", "auto") and not names:
            msg = "tool_choice needs 'tools': send the functions the model may call"
            raise ValueError(msg)
        if isinstance(choice, NamedToolChoice) and choice.function.get("name") not in names:
            msg = f"tool_choice names {choice.function.get('name')!r}, which is not in 'tools'"
            raise ValueError(msg)
        if self.response_format is not None and self.response_format.type == "json_schema" and not self.response_format.json_schema:
            msg = "response_format 'json_schema' needs its 'json_schema': {name, schema}"
            raise ValueError(msg)
        structured = bool(names) or (self.response_format is not None and self.response_format.type != "text")
        if structured and (self.kb or self.model.startswith("kb:")):
            msg = ("tools and response_format apply to plain chat (model 'default'); a KB model answers from its "
                   "documents: give an agent the KB as a search tool instead")
            raise ValueError(msg)
        return self


class EmbeddingRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    input: Annotated[str, Field(min_length=1)] | Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1, max_length=2048)]
    model: str = "default"


class FileOutcomeBody(BaseModel):
    source: str
    status: Literal["added", "updated", "unchanged", "removed", "failed", "skipped"]
    chunks: int = 0
    reason: str | None = None


class UploadReport(BaseModel):
    """What happened to each uploaded file (200: all indexed; 422: some failed, the others are indexed)."""

    kb: str
    files: list[FileOutcomeBody]
    chunks_written: int
    seconds: float


class SearchRequest(BaseModel):
    model_config = ConfigDict(strict=True)

    query: str = Field(min_length=1, max_length=4000)
    k: int = Field(default=5, ge=1, le=100)
    sources: list[str] | None = None
