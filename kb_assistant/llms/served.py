"""The configured chat model: generation on an OpenAI-compatible server when ``llm_base_url`` is set (vLLM for
users who outgrow one GPU, or another kb-assistant), else a local model. Each side imports its own stack only when
chosen: ``ask`` with a local model does not pay for importing the OpenAI client (0.7 s).
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel

from kb_assistant.config import Settings


def make_chat_model(settings: Settings, **fields: Any) -> BaseChatModel:
    """The configured chat model: served at ``llm_base_url`` when set, else loaded locally."""
    if settings.llm_base_url:
        from kb_assistant.llms.openai_served import ServedChatModel

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
