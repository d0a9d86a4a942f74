"""Generation on an OpenAI-compatible server: vLLM (``vllm serve MODEL --tensor-parallel-size N``) for users
who outgrow one GPU, or another kb-assistant. Retrieval, prompts and sources stay local; only generation moves.
"""

from __future__ import annotations

import re

from langchain_openai import ChatOpenAI

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
