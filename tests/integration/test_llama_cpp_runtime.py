"""The packaged chat model run by llama.cpp (``llm_runtime``): the same LangChain chat model, doing real work."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from kb_assistant.config import Settings
from kb_assistant.llms import LocalChatModel
from tests.integration.test_embedded_llm import CONTEXT  # the same facts the transformers path answers from

pytest.importorskip("llama_cpp", reason='llama-cpp-python is not installed (pip install -e ".[llama-cpp]")')
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chat() -> Iterator[LocalChatModel]:
    settings = Settings(llm_runtime="llama.cpp")
    yield LocalChatModel.from_pretrained("packaged:qwen2.5-0.5b-instruct", settings, temperature=0, max_new_tokens=48)


def _messages(question: str) -> list:
    return [SystemMessage(f"Answer only from the context, briefly.\nContext: {CONTEXT}"), HumanMessage(question)]


def test_the_packaged_model_runs_on_llama_cpp_from_its_checked_gguf(chat: LocalChatModel) -> None:
    from kb_assistant.llms.llama_cpp_model import LlamaCppModel
    from kb_assistant.packaged import PACKAGED_MODELS

    assert isinstance(chat.model, LlamaCppModel)
    digest = hashlib.sha256(Path(chat.model.path).read_bytes()).hexdigest()
    assert digest == PACKAGED_MODELS["qwen2.5-0.5b-instruct"].sha256  # the joined parts, as pinned


def test_answers_from_context_streamed_as_invoked_with_the_whole_prompt_counted(chat: LocalChatModel) -> None:
    messages = _messages("kb-assistant 的 HTTP 服务默认端口是多少？")
    answer = chat.invoke(messages)
    assert "6006" in answer.content
    chunks = list(chat.stream(messages))
    assert len([c for c in chunks if c.content]) > 1  # token by token, not one block at the end
    assert "".join(str(c.content) for c in chunks) == answer.content  # greedy: the same text either way
    prompt_tokens = chat.count_tokens(chat.render_prompt(messages))
    assert answer.usage_metadata["input_tokens"] == prompt_tokens
    assert "e5" in chat.invoke(_messages("What is the default embedding model of kb-assistant?")).content.lower()


def test_stop_strings_and_the_token_limit_hold(chat: LocalChatModel) -> None:
    counting = [HumanMessage("Count from 1 to 20, separated by commas, nothing else.")]
    stopped = chat.invoke(counting, stop=["7"])
    assert "7" not in stopped.content and "6" in stopped.content
    short = chat.invoke(counting, max_new_tokens=5)
    assert short.usage_metadata["output_tokens"] == 5
    assert short.response_metadata.get("finish_reason") == "length"


class _Port(BaseModel):
    host: str
    port: int


def test_structured_output_keeps_to_its_schema_under_llama_cpp(chat: LocalChatModel) -> None:
    # the grammar (llguidance) masks llama.cpp's logits token by token, as it does transformers'
    port = chat.with_structured_output(_Port).invoke(_messages("Which host and port does the HTTP server use?"))
    assert isinstance(port, _Port)
    assert port.port == 6006


def test_a_first_start_on_llama_cpp_dequantises_no_weights(tmp_path: Path) -> None:
    # llama.cpp reads the GGUF: only the config and tokenizer are written out (the 1.5B model's weights would
    # cost 90 s and 6 GB), and a model converted for transformers before is used as it is
    settings = Settings(llm_runtime="llama.cpp", cache_dir=tmp_path / "cache")
    chat = LocalChatModel.from_pretrained("packaged:qwen2.5-0.5b-instruct", settings, temperature=0, max_new_tokens=48)
    folder = Path(chat.model.name_or_path)
    assert folder.parent == tmp_path / "cache" / "packaged"
    assert (folder / "tokenizer_config.json").exists() and not list(folder.glob("*.safetensors"))
    assert "6006" in chat.invoke(_messages("kb-assistant 的 HTTP 服务默认端口是多少？")).content
