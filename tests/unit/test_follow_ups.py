"""Follow-up questions: which ones are rewritten from the conversation, and a rewrite that only repeats an
earlier question is not used."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.retrievers import BaseRetriever

from kb_assistant.qa.chain import QAChain
from kb_assistant.qa.prompts import refers_back


@pytest.mark.parametrize(
    ("question", "leans_back"),
    [
        ("它默认监听哪个端口？", True),
        ("其默认端口是多少？", True),
        ("该服务的端口是多少？", True),
        ("数据库的默认端口呢？", True),
        ("其实现方式是什么？", True),
        ("What is its default port?", True),
        ("绑定到其他地址时需要什么？", False),  # 其他: "other", not "its"
        ("其中哪个最快？", False),
        ("应该用哪个命令导入文档？", False),  # 应该: "should", not "the said"
        ("How do I index a folder?", False),
    ],
)
def test_a_question_is_rewritten_only_when_it_leans_on_the_conversation(question: str, leans_back: bool) -> None:
    assert refers_back(question) is leans_back


class _NoRetrieval(BaseRetriever):
    def _get_relevant_documents(self, query: str, *, run_manager: object = None) -> list:
        return []


def test_a_rewrite_that_repeats_an_earlier_question_is_not_used() -> None:
    """The 0.5B model rewrote "它绑定到其他地址时需要什么？" as the conversation's first question, "HTTP 服务是用哪个
    命令启动的？", which would then have been answered again (the rewrite call is the narrow unit here: a fake)."""
    history = [("HTTP 服务是用哪个命令启动的？", "用 `python -m kb_assistant serve` 启动。"),
               ("它默认监听哪个端口？", "6006 端口。")]
    repeating = QAChain(_NoRetrieval(), FakeListChatModel(responses=["HTTP 服务是用哪个命令启动的？"]))
    assert repeating.standalone_question("它绑定到其他地址时需要什么？", history) == "它绑定到其他地址时需要什么？"
    rewriting = QAChain(_NoRetrieval(), FakeListChatModel(responses=["HTTP 服务绑定到其他地址时需要什么？"]))
    assert rewriting.standalone_question("它绑定到其他地址时需要什么？", history) == "HTTP 服务绑定到其他地址时需要什么？"


def test_a_rewrite_that_leaves_out_what_the_follow_up_asks_is_not_used() -> None:
    """The 0.5B model rewrote "And what is required when it binds to another address?" as "What is the port that the
    HTTP server listens on?": the earlier question, reworded, was answered again instead of the follow-up."""
    history = [("Which port does the HTTP server listen on?", "The HTTP server listens on port 6006 [1].")]
    question = "And what is required when it binds to another address?"
    port = "What is the port that the HTTP server listens on?"
    reworded = QAChain(_NoRetrieval(), FakeListChatModel(responses=[port]))
    assert reworded.standalone_question(question, history) == question
    kept = "What is required when the HTTP server binds to another address?"
    assert QAChain(_NoRetrieval(), FakeListChatModel(responses=[kept])).standalone_question(question, history) == kept
