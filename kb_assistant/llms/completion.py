"""The completion-style twin (``LLM``) and the drop-in names from the tutorials."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import LLM
from langchain_core.messages import HumanMessage
from langchain_core.outputs import GenerationChunk
from pydantic import ConfigDict

from kb_assistant.config import Settings
from kb_assistant.llms.chat_model import LocalChatModel


class LocalLLM(LLM):
    """A prompt-in, text-out LangChain ``LLM`` over the same local chat model (the prompt is one user turn)."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    chat: LocalChatModel
    """The chat model doing the work."""

    @classmethod
    def from_pretrained(cls, reference: str, settings: Settings | None = None, **fields: Any) -> LocalLLM:
        """Load a model by family, ``packaged:NAME`` or path."""
        return cls(chat=LocalChatModel.from_pretrained(reference, settings, **fields))

    @property
    def _llm_type(self) -> str:
        return "kb-assistant-local-completion"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return self.chat._identifying_params

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        for piece in self.chat._pieces([HumanMessage(prompt)], stop, **kwargs):
            if piece.text:
                chunk = GenerationChunk(text=piece.text)
                if run_manager:
                    run_manager.on_llm_new_token(piece.text, chunk=chunk)
                yield chunk

    def _call(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> str:
        return "".join(chunk.text for chunk in self._stream(prompt, stop, run_manager, **kwargs))


def _tutorial_llm(family: str, doc: str) -> type[LocalLLM]:
    def __init__(self: LocalLLM, mode_name_or_path: str, settings: Settings | None = None, **fields: Any) -> None:
        settings = (settings or Settings.defaults()).with_overrides(llm_family=family)
        LocalLLM.__init__(self, chat=LocalChatModel.from_pretrained(mode_name_or_path, settings, **fields))

    return type(f"{family}_LLM", (LocalLLM,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


Qwen2_LLM = _tutorial_llm("qwen2-7b", "Drop-in for the tutorial's ``Qwen2_LLM(mode_name_or_path=...)``.")
LLaMA3_LLM = _tutorial_llm("llama3-8b", "Drop-in for the tutorial's ``LLaMA3_LLM(mode_name_or_path=...)``.")
DeepSeek_Coder_LLM = _tutorial_llm(
    "deepseek-coder-v2-lite", "Drop-in for the tutorial's ``DeepSeek_Coder_LLM(mode_name_or_path=...)``."
)
XVERSE_LLM = _tutorial_llm("xverse-7b", "Drop-in for the tutorial's ``XVERSE_LLM(mode_name_or_path=...)``.")
for _cls, _name in ((Qwen2_LLM, "Qwen2_LLM"), (LLaMA3_LLM, "LLaMA3_LLM"), (DeepSeek_Coder_LLM, "DeepSeek_Coder_LLM"), (XVERSE_LLM, "XVERSE_LLM")):
    _cls.__name__ = _cls.__qualname__ = _name
