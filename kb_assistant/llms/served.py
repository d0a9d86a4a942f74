"""Generation on an OpenAI-compatible server: vLLM (``vllm serve MODEL --tensor-parallel-size N``) for users
who outgrow one GPU, or another kb-assistant. Retrieval, prompts and sources stay local; only generation moves.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI

from kb_assistant.config import Settings

_WIDE = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """A generous token estimate that needs no tokenizer download: one per CJK character, one per three
    other characters (real BPE vocabularies give fewer), so context fitting never overflows the window."""
    wide = len(_WIDE.findall(text))
    return wide + -(-(len(text) - wide) // 3)


class ServedChatModel(ChatOpenAI):
    """``ChatOpenAI`` for a served model, with token counting that works offline (``ChatOpenAI`` would
    download a tiktoken vocabulary) and the served model's context window for fitting retrieved chunks."""

    context_window: int = 8192
    """Prompt + answer tokens the served model accepts."""

    def count_tokens(self, text: str) -> int:
        """Estimated tokens of ``text`` (see :func:`estimate_tokens`)."""
        return estimate_tokens(text)

    def get_num_tokens(self, text: str) -> int:
        return estimate_tokens(text)


def make_chat_model(settings: Settings, **fields: Any) -> BaseChatModel:
    """The configured chat model: served at ``llm_base_url`` when set, else loaded locally."""
    if settings.llm_base_url:
        return ServedChatModel(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key or "EMPTY",  # vLLM without --api-key accepts any value
            model=settings.llm_model,
            temperature=settings.temperature if settings.temperature is not None else 0.0,
            max_tokens=fields.get("max_new_tokens", settings.max_new_tokens),
            context_window=settings.llm_context_window,
            timeout=600,
            max_retries=2,
        )
    from kb_assistant.llms.chat_model import LocalChatModel

    values = {"max_new_tokens": settings.max_new_tokens, "temperature": settings.temperature, **fields}
    return LocalChatModel.from_pretrained(settings.llm_model, settings, **values)
