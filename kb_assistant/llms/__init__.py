"""Local chat models: one class for every family, specs as data, loading, ModelScope download, the GPU engine.

Imports are lazy so that ``kb_assistant.llms.engine`` loads with torch alone (the GPU benchmarks run it on
machines without LangChain).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb_assistant.llms.chat_model import LocalChatModel
    from kb_assistant.llms.completion import XVERSE_LLM, DeepSeek_Coder_LLM, LLaMA3_LLM, LocalLLM, Qwen2_LLM
    from kb_assistant.llms.specs import SPECS, ModelSpec, get_spec

_WHERE = {
    "LocalChatModel": "chat_model",
    "LocalLLM": "completion",
    "Qwen2_LLM": "completion",
    "LLaMA3_LLM": "completion",
    "DeepSeek_Coder_LLM": "completion",
    "XVERSE_LLM": "completion",
    "SPECS": "specs",
    "ModelSpec": "specs",
    "get_spec": "specs",
}
__all__ = [
    "SPECS",
    "XVERSE_LLM",
    "DeepSeek_Coder_LLM",
    "LLaMA3_LLM",
    "LocalChatModel",
    "LocalLLM",
    "ModelSpec",
    "Qwen2_LLM",
    "get_spec",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"kb_assistant.llms.{_WHERE[name]}"), name)
