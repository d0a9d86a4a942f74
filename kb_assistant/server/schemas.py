"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class TutorialRequest(BaseModel):
    """The body the DeepSeek-Coder-V2 / self-llm FastAPI tutorials' clients send to ``POST /``."""

    model_config = ConfigDict(extra="ignore")

    prompt: str = Field(min_length=1)
    history: list[tuple[str, str]] = Field(default_factory=list)
    max_length: int | None = Field(default=None, ge=1, le=32768)
    top_p: float | None = Field(default=None, gt=0, le=1)
    top_k: int | None = Field(default=None, ge=1, le=1000)
    temperature: float | None = Field(default=None, ge=0, le=2)
    repetition_penalty: float | None = Field(default=None, gt=0, le=10)
    kb: str | None = None


class TutorialResponse(BaseModel):
    response: str
    history: list[tuple[str, str]]
    status: int
    time: str
    sources: list[dict[str, Any]] | None = None


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "user", "assistant"]
    content: str


class ChatCompletionRequest(BaseModel):
    """OpenAI ``/v1/chat/completions``; ``kb`` (or model ``kb:NAME``) answers from a knowledge base."""

    model_config = ConfigDict(extra="ignore")

    model: str = "default"
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1, le=32768)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=32768)
    stop: str | list[str] | None = None
    kb: str | None = None
    verified_only: bool = False
    """KB answers, streamed: send only the answer checked against its sources (one content delta at the end)
    instead of the model's draft as it is generated. For clients that cannot read the final ``verified`` event."""


class EmbeddingRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    input: str | list[str]
    model: str = "default"


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=4000)
    k: int = Field(default=5, ge=1, le=100)
    sources: list[str] | None = None
