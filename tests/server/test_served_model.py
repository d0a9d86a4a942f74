"""Generation on an OpenAI-compatible server (as with vLLM): retrieval and sources local, the model remote.

The serving end here is kb-assistant's own OpenAI-compatible API; vLLM's speaks the same protocol.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kb_assistant.llms.openai_served import ServedChatModel, estimate_tokens
from kb_assistant.llms.served import make_chat_model
from tests.server.conftest import Server

pytestmark = pytest.mark.slow


def test_ask_with_generation_on_a_served_model(server: Server) -> None:
    # The server's own store holds the sample documents: the CLI retrieves from it and generates on the server.
    env = {**os.environ, "KB_PERSIST_DIR": str(server.store), "KB_LLM_BASE_URL": f"{server.url}/v1",
           "KB_LLM_MODEL": "default"}  # a name no local loader knows: only the served path can answer
    done = subprocess.run([sys.executable, "-m", "kb_assistant", "ask", "HTTP 服务默认监听哪个端口？"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    answer, _, sources = done.stdout.partition("sources:")
    assert "6006" in answer
    assert "kb-assistant-指南.md" in sources


def test_served_model_settings_and_offline_token_estimates() -> None:
    from kb_assistant.config import Settings

    llm = make_chat_model(Settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="Qwen2-7B-Instruct",
                                   llm_context_window=32768, max_new_tokens=300))
    assert isinstance(llm, ServedChatModel)
    assert llm.model_name == "Qwen2-7B-Instruct" and llm.max_tokens == 300 and llm.context_window == 32768
    assert estimate_tokens("知识库助手") == 5 and estimate_tokens("abcdef") == 2
    assert llm.get_num_tokens("默认端口 is 6006") == estimate_tokens("默认端口 is 6006")  # no tiktoken download
