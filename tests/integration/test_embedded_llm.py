"""The embedded default chat model (Qwen2.5-0.5B-Instruct from PyPI packages) doing real work."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever

from kb_assistant.config import Settings
from kb_assistant.llms import LocalChatModel, LocalLLM, Qwen2_LLM

pytestmark = pytest.mark.slow

CONTEXT = (
    "kb-assistant 的 HTTP 服务默认监听 127.0.0.1 的 6006 端口。"
    "The default embedding model of kb-assistant is multilingual-e5-small."
)


@pytest.fixture(scope="module")
def chat() -> Iterator[LocalChatModel]:
    yield LocalChatModel.from_pretrained("packaged:qwen2.5-0.5b-instruct", Settings(), temperature=0, max_new_tokens=48)


def _ask(chat: LocalChatModel, question: str) -> str:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer only from the context, briefly.\nContext: {context}"), ("human", "{question}")]
    )
    return (prompt | chat | StrOutputParser()).invoke({"context": CONTEXT, "question": question})


def test_answers_chinese_and_english_from_context(chat: LocalChatModel) -> None:
    assert "6006" in _ask(chat, "kb-assistant 的 HTTP 服务默认端口是多少？")
    assert "e5" in _ask(chat, "What is the default embedding model of kb-assistant?").lower()


class _FixedRetriever(BaseRetriever):
    def _get_relevant_documents(self, query: str, *, run_manager: object) -> list[Document]:
        return [Document(page_content=CONTEXT, metadata={"source": "guide.md"})]


def test_retrieval_qa_with_chat_model_and_completion_llm(chat: LocalChatModel) -> None:
    from langchain_classic.chains import RetrievalQA

    for llm in (chat, LocalLLM(chat=chat)):
        qa = RetrievalQA.from_chain_type(llm=llm, retriever=_FixedRetriever(), return_source_documents=True)
        result = qa.invoke({"query": "What port does the kb-assistant HTTP server listen on by default?"})
        assert "6006" in result["result"]
        assert result["source_documents"][0].metadata["source"] == "guide.md"


def test_tutorial_drop_in_invoke(chat: LocalChatModel) -> None:
    llm = Qwen2_LLM(mode_name_or_path=str(chat.model.name_or_path), max_new_tokens=24)
    answer = llm.invoke("你是谁")
    assert isinstance(answer, str) and answer.strip()
    assert llm.chat.spec.family == "qwen2-7b"


def test_prompt_lookup_streams_the_same_answer_as_plain_decoding(chat: LocalChatModel) -> None:
    # Drafting from the prompt puts several tokens per step into the streamer; the streamed text, its stop
    # handling and the usage count must be exactly those of one-token-at-a-time decoding.
    from langchain_core.messages import HumanMessage, SystemMessage

    messages = [
        SystemMessage(f"Answer from the context, copying its words, in one sentence.\nContext: {CONTEXT}"),
        HumanMessage("kb-assistant 的 HTTP 服务默认监听哪个地址和端口？"),
    ]
    answers = {}
    for lookup in (0, 10):
        model = chat.model_copy(update={"prompt_lookup": lookup})
        chunks = list(model.stream(messages))
        usage = chunks[-1].usage_metadata
        answers[lookup] = ("".join(str(c.content) for c in chunks), usage["output_tokens"] if usage else None)
    assert "6006" in answers[10][0]
    assert answers[10] == answers[0]
