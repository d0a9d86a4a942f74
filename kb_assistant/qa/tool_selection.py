"""Offer a small model only the tools nearest the request: tools ranked by the embedding model's similarity between
the user's last message and each tool's name and description, a tool that speaks of a thing the request names
("order", "订单", "员工" for a tool described as finding an employee) first among near equals.

With nine tools bound, the 0.5B default model picks the wrong tool for a fifth of requests; the right tool is the
nearest by e5 similarity for 0.88 of them and among the nearest three for 0.96 (``benchmarks/tools_bench.py
--select-tools``). LangChain's ``LLMToolSelectorMiddleware`` asks a chat model to choose instead: one more
generation per turn, and the same small model's choice.

    agent = create_agent(model, tools=tools, middleware=[EmbeddingToolSelector(embeddings, max_tools=3)])
"""

from __future__ import annotations

import re
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from kb_assistant.llms.tool_words import spoken_of, text_words

NAMED_BONUS = 0.05
"""Added to a tool's similarity where it speaks of a thing the request names (:mod:`kb_assistant.llms.tool_words`):
e5-small ranked ``get_order_status`` nearest to "查一下员工王芳" (English descriptions, a Chinese request). With it the
right tool is the nearest for 46 of 50 single requests of ``benchmarks/tools_bench.py`` (44 without), and the first
step's tool is among the two offered for 17 of 20 two-step requests (16); 0.02 to 1.0 rank alike there."""


def tool_text(tool: BaseTool) -> str:
    """What a tool is compared on: its name in words and its description."""
    return f"{tool.name.replace('_', ' ')}: {tool.description}"


_NEXT_STEP = re.compile(
    r"(?:[,;.?!，；。？！]\s*|\s)(?:and\s+)?(?:then|after\s+that|afterwards)\b"
    r"|[，,；;。？?！!]\s*(?:然后|接着|随后|之后|再)|然后|接着|随后",
    re.IGNORECASE,
)
"""Where a request that says the order of its steps starts its second one: "…, then …", "…？然后…", "先…，再…"."""
_FIRST = re.compile(r"^\s*(?:first(?:ly)?,?\s+|先)", re.IGNORECASE)


def first_step(request: str) -> str | None:
    """The first step of a request that says the order of its steps ("Find Alice Chen, then open a ticket for her":
    "Find Alice Chen"), or None."""
    match = _NEXT_STEP.search(request)
    if match is None:
        return None
    step = _FIRST.sub("", request[: match.start()]).strip(" ,;.，；。")
    return step if len(step) >= 2 else None


def _message_text(message: AnyMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)


class EmbeddingToolSelector(AgentMiddleware):
    """Agent middleware that passes the model the ``max_tools`` tools nearest the user's last message, plus those
    named in ``always_include`` and those already called since that message (a multi-step task keeps its tools).
    Tools given as dicts (provider tools) are always passed. Tool vectors are computed once per name and
    description."""

    def __init__(self, embeddings: Embeddings, *, max_tools: int = 3, always_include: Sequence[str] = ()) -> None:
        super().__init__()
        if max_tools < 1:
            raise ValueError("max_tools must be 1 or more")
        self.embeddings = embeddings
        self.max_tools = max_tools
        self.always_include = frozenset(always_include)
        self._vectors: dict[str, list[float]] = {}
        self._words: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def _tool_vectors(self, tools: list[BaseTool]) -> list[list[float]]:
        texts = [tool_text(t) for t in tools]
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
            if missing:
                self._vectors.update(zip(missing, self.embeddings.embed_documents(missing), strict=True))
            return [self._vectors[t] for t in texts]

    def _tool_words(self, tool: BaseTool) -> set[str]:
        key = tool_text(tool)
        with self._lock:
            if key not in self._words:
                self._words[key] = spoken_of(convert_to_openai_tool(tool)["function"])
            return self._words[key]

    def rank(self, tools: list[BaseTool], request: str) -> list[BaseTool]:
        """``tools`` ordered by similarity to ``request``, nearest first; a tool that speaks of a thing the request
        names gains ``NAMED_BONUS``."""
        if not tools or not request.strip():
            return list(tools)
        import numpy as np

        query = np.asarray(self.embeddings.embed_query(request), dtype=np.float32)
        vectors = np.asarray(self._tool_vectors(tools), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1) * max(float(np.linalg.norm(query)), 1e-12)
        scores = vectors @ query / np.maximum(norms, 1e-12)
        named = text_words(request)
        scores += NAMED_BONUS * np.asarray([bool(named & self._tool_words(t)) for t in tools], dtype=np.float32)
        return [tools[i] for i in np.argsort(-scores, kind="stable")]

    def select(
        self, tools: Sequence[BaseTool | dict[str, Any]], messages: Sequence[AnyMessage], *, keep: Sequence[str] = ()
    ) -> list[Any]:
        """The tools to offer for ``messages`` (and those named in ``keep``), in their original order."""
        named = [t for t in tools if isinstance(t, BaseTool)]
        if len(named) <= self.max_tools:
            return list(tools)
        last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=None)
        if last_human is None:
            return list(tools)
        called = {
            call["name"]
            for m in messages[last_human + 1 :]
            if isinstance(m, AIMessage)
            for call in m.tool_calls
        }
        request = _message_text(messages[last_human])
        # the first call of a request that says its order ("…, then …") is for its first step: offered the tools
        # nearest the whole request, the 0.5B model called the second step's tool with the first step's name as its id
        first = None if called else first_step(request)
        nearest = {t.name for t in self.rank(named, first or request)[: self.max_tools]}
        kept = nearest | called | self.always_include | set(keep)
        return [t for t in tools if not isinstance(t, BaseTool) or t.name in kept]

    def _selected(self, request: ModelRequest) -> ModelRequest:
        choice = request.tool_choice
        named = [choice] if isinstance(choice, str) and choice not in ("auto", "any", "none", "required") else []
        if isinstance(choice, dict):  # OpenAI's {"type": "function", "function": {"name": ...}}
            named = [str(choice.get("function", {}).get("name", choice.get("name", "")))]
        return request.override(tools=self.select(request.tools, request.messages, keep=named))

    def wrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
    ) -> ModelResponse:
        """Call the model with the selected tools."""
        return handler(self._selected(request))

    async def awrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], Awaitable[ModelResponse]]
    ) -> ModelResponse:
        """Call the model with the selected tools (async agents)."""
        return await handler(self._selected(request))
