"""Streaming mechanics: stop strings never leak, errors surface, nothing hangs, threads are safe."""

from __future__ import annotations

import tempfile
import threading
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler

from kb_assistant.errors import ModelError
from kb_assistant.llms import LocalChatModel
from kb_assistant.llms.repetition import RepetitionGuard
from kb_assistant.llms.streaming import DONE, QueueStreamer, StopBuffer, relay
from tests.tiny_model import tiny_chat_params


@cache
def _params() -> dict[str, Any]:
    return tiny_chat_params(Path(tempfile.mkdtemp()) / "tiny")


@pytest.fixture
def chat() -> LocalChatModel:
    return LocalChatModel(**{**_params(), "max_new_tokens": 40, "engine": "plain"})


@pytest.fixture(params=["plain", "batched"])
def any_chat(request: pytest.FixtureRequest) -> LocalChatModel:
    """Plain ``generate`` and the batching engine: the same contract."""
    return LocalChatModel(**{**_params(), "max_new_tokens": 40, "engine": request.param})


def test_stop_buffer_catches_stops_split_across_pieces() -> None:
    buffer = StopBuffer(["<END>", "Human:"])
    emitted = [buffer.push(p) for p in ["Hello wor", "ld <E", "N", "D> never shown"]]
    assert "".join(emitted) == "Hello world "
    assert buffer.stopped
    buffer = StopBuffer(["Human:"])
    assert buffer.push("a Hum") == "a "
    assert buffer.push("ble answer") == "Humble answer"  # a false alarm is released
    assert buffer.flush() == ""


LOOP_ITEM = "**可扩展性**：RAG 提供了良好的可扩展性，使得开发者可以轻松地扩展，以适应新的应用场景和需求。"
LOOPING = ("RAG 的优势包括：\n\n1. **准确性和可靠性**：RAG 提供了准确的检索结果，能有效抑制误导性信息的传播。\n\n"
           "2. **可维护性**：RAG 提供了良好的可维护性，使得开发者可以轻松地修改和扩展。\n\n"
           + "".join(f"{n}. {LOOP_ITEM}\n\n" for n in range(3, 9)))  # the embedded model's loop, until its token limit


def _relayed(text: str, guard: RepetitionGuard | None) -> str:
    """What ``relay`` yields of ``text`` generated two characters a token."""
    import queue

    out: queue.Queue[Any] = queue.Queue()

    def work() -> None:
        for start in range(0, len(text), 2):
            out.put(text[start : start + 2])
        out.put(DONE)

    return "".join(relay(work, out, [], threading.Event(), None, 10, guard))


def test_an_answer_that_loops_ends_after_its_first_repeat() -> None:
    """The same item with a new number again and again ends once it has come twice: the reader gets the items
    before the loop and waits for no more (relay returns, which cancels the model)."""
    shown = _relayed(LOOPING, RepetitionGuard())
    assert shown.count(LOOP_ITEM) == 2 and len(shown) < len(LOOPING) / 2 + len(LOOP_ITEM)
    assert shown.startswith(LOOPING[: LOOPING.index("3. ")])  # everything before the loop is there
    assert _relayed(LOOPING, None) == LOOPING  # stop_repeats = false: all of it


def test_code_blocks_and_items_that_only_look_alike_are_not_cut() -> None:
    block = "```python\nfrom langchain_openai import ChatOpenAI\nllm = ChatOpenAI(model_name='gpt-4o', temperature=0)\n```"
    twice = f"先安装依赖，然后：\n{block}\n\n流式输出时同样先创建模型：\n{block}\n\n两段代码相同。"
    items = "".join(f"{n}. **第{n}章**：本章介绍大模型应用开发中第 {n} 个环节的原理、常用工具和完整的代码示例。\n" for n in range(1, 9))
    for text in (twice, items):
        assert _relayed(text, RepetitionGuard()) == text


@pytest.mark.parametrize(("packaged", "clean_up"), [
    ("qwen2.5-0.5b-instruct", False), ("qwen2.5-0.5b-instruct", True), ("multilingual-e5-small", False),
    pytest.param("multilingual-e5-small", True, marks=pytest.mark.xfail(
        strict=True, reason="known: the clean-up of ' .' is per piece, so a space and a full stop in two pieces "
                            "stay apart (Llama 3's tokenizer cleans up)")),
])
def test_streamed_pieces_add_up_to_the_decoded_text(packaged: str, clean_up: bool) -> None:
    """Text is decoded a few tokens at a time (byte-level BPE splits characters over tokens; SentencePiece drops
    a leading space when a piece is decoded alone): the pieces must still add up to the whole text, for real text
    and for the garble of a broken model (random ids: bytes that never make a character). A tokenizer that cleans
    up spaces after decoding takes the context-decoding path, the others the tokenizers library's stream."""
    import queue
    import random

    from transformers import AutoTokenizer

    from kb_assistant.config import Settings
    from kb_assistant.packaged import resolve_packaged

    tokenizer = AutoTokenizer.from_pretrained(str(resolve_packaged(packaged, Settings().cache_dir)))
    tokenizer.clean_up_tokenization_spaces = clean_up
    text = "财务总监周明远的办公室在七号楼十二层 1207 室。 The port is 6006 ✅🙂 — naïve café, 東京 . Isn 't it?\n  done"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    rng = random.Random(0)
    garble = [rng.randrange(len(tokenizer)) for _ in range(200)]
    for answer in (ids, garble):
        for step in (1, 3):  # one token at a time (the model's streamer), or several (an engine reader behind)
            out: queue.Queue[Any] = queue.Queue()
            streamer = QueueStreamer(tokenizer, out)
            streamer.prompt_seen = True
            for start in range(0, len(answer), step):
                streamer.put_ids(answer[start : start + step])
            streamer.end()
            pieces = [out.get_nowait() for _ in range(out.qsize())]
            assert "".join(pieces) == tokenizer.decode(answer, skip_special_tokens=True), step
            if answer is ids:
                assert all("\ufffd" not in piece for piece in pieces)


def test_stop_is_honoured_in_generate_and_stream(any_chat: LocalChatModel) -> None:
    full = any_chat.invoke("hello").content
    assert len(full) > 10
    stop = full[len(full) // 2 : len(full) // 2 + 3]
    cut = full[: full.index(stop)]
    stopped = any_chat.invoke("hello", stop=[stop])
    assert stopped.content == cut
    assert stopped.response_metadata["finish_reason"] == "stop"  # a stop string ended it, not the token limit
    streamed = "".join(str(c.content) for c in any_chat.stream("hello", stop=[stop]))
    assert streamed == cut


def test_per_call_overrides_and_usage(any_chat: LocalChatModel) -> None:
    short = any_chat.invoke("hello", max_new_tokens=3)
    assert short.usage_metadata["output_tokens"] == 3
    assert short.response_metadata["finish_reason"] == "length"  # cut by the limit: clients must be able to tell
    assert short.usage_metadata["input_tokens"] > 3
    longer = any_chat.invoke("hello", max_tokens=8)
    assert longer.usage_metadata["output_tokens"] == 8
    chunks = list(any_chat.stream("hello", max_new_tokens=5))
    assert chunks[-1].usage_metadata["output_tokens"] == 5
    assert chunks[-1].response_metadata["finish_reason"] == "length"


def test_callbacks_receive_every_token(any_chat: LocalChatModel) -> None:
    class Collect(BaseCallbackHandler):
        def __init__(self) -> None:
            self.tokens: list[str] = []

        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            self.tokens.append(token)

    handler = Collect()
    result = any_chat.invoke("hello", config={"callbacks": [handler]})
    # pieces, not one block at the end; a consumer that falls behind (2 busy cores) gets what is queued as one piece,
    # so how many pieces depends on the machine's load, and the text they add up to does not
    assert len(handler.tokens) > 1 and "".join(handler.tokens) == result.content


def test_concurrent_threads_get_the_same_greedy_answers(any_chat: LocalChatModel) -> None:
    prompts = ["hello", "count one two", "知识库", "world"]
    expected = {p: any_chat.invoke(p).content for p in prompts}
    results: dict[str, list[str]] = {p: [] for p in prompts}

    def ask(prompt: str) -> None:
        results[prompt].append(str(any_chat.invoke(prompt).content))

    threads = [threading.Thread(target=ask, args=(p,)) for p in prompts * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(results[p] == [expected[p]] * 3 for p in prompts)
    plain = LocalChatModel(**{**_params(), "max_new_tokens": 40, "engine": "plain"})
    assert {p: plain.invoke(p).content for p in prompts} == expected  # the engine answers as generate does


class _Exploding:
    """Wraps the real model; generate() fails after streaming two tokens (the narrow fault under test)."""

    def __init__(self, model: Any) -> None:
        self.inner = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def generate(self, **kwargs: Any) -> Any:
        streamer = kwargs["streamer"]
        streamer.put(kwargs["input_ids"][0])
        streamer.put(kwargs["input_ids"][0][:2])
        raise RuntimeError("CUDA error: device-side assert triggered")


class _Stuck(_Exploding):
    def generate(self, **kwargs: Any) -> Any:
        threading.Event().wait(3)


def test_generation_error_is_raised_in_caller(chat: LocalChatModel) -> None:
    broken = LocalChatModel(**{**_params(), "model": _Exploding(_params()["model"])})
    with pytest.raises(ModelError, match="device-side assert"):
        list(broken.stream("hello"))
    with pytest.raises(ModelError, match="device-side assert"):
        broken.invoke("hello")


def test_stuck_generation_times_out(chat: LocalChatModel) -> None:
    stuck = LocalChatModel(**{**_params(), "model": _Stuck(_params()["model"]), "timeout": 0.5})
    with pytest.raises(ModelError, match="no token"):
        stuck.invoke("hello")
