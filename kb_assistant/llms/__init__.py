"""Local chat models: one class for every family, specs as data, loading, ModelScope download."""

from kb_assistant.llms.chat_model import LocalChatModel
from kb_assistant.llms.completion import DeepSeek_Coder_LLM, LLaMA3_LLM, LocalLLM, Qwen2_LLM, XVERSE_LLM
from kb_assistant.llms.specs import SPECS, ModelSpec, get_spec

__all__ = [
    "SPECS",
    "DeepSeek_Coder_LLM",
    "LLaMA3_LLM",
    "LocalChatModel",
    "LocalLLM",
    "ModelSpec",
    "Qwen2_LLM",
    "XVERSE_LLM",
    "get_spec",
]
