"""Follow-up questions: which ones are rewritten from the conversation, and a rewrite that only repeats an
earlier question is not used."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.retrievers import BaseRetriever

from kb_assistant.qa.chain import QAChain
from kb_assistant.qa.follow_ups import resolve_follow_up
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
    history = [("用哪个命令启动 HTTP 服务？", "用 `python -m kb_assistant serve` 启动。"),  # no topic the rules read
               ("它默认监听哪个端口？", "6006 端口。")]
    repeating = QAChain(_NoRetrieval(), FakeListChatModel(responses=["用哪个命令启动 HTTP 服务？"]))
    assert repeating.standalone_question("它绑定到其他地址时需要什么？", history) == "它绑定到其他地址时需要什么？"
    rewriting = QAChain(_NoRetrieval(), FakeListChatModel(responses=["HTTP 服务绑定到其他地址时需要什么？"]))
    assert rewriting.standalone_question("它绑定到其他地址时需要什么？", history) == "HTTP 服务绑定到其他地址时需要什么？"


def test_a_rewrite_that_leaves_out_what_the_follow_up_asks_is_not_used() -> None:
    """The 0.5B model rewrote "And what is required when it binds to another address?" as "What is the port that the
    HTTP server listens on?": the earlier question, reworded, was answered again instead of the follow-up."""
    history = [("Which port does kb-assistant listen on?", "The HTTP server listens on port 6006 [1].")]  # no article
    question = "And what is required when it binds to another address?"
    port = "What is the port that the HTTP server listens on?"
    reworded = QAChain(_NoRetrieval(), FakeListChatModel(responses=[port]))
    assert reworded.standalone_question(question, history) == question
    kept = "What is required when the HTTP server binds to another address?"
    assert QAChain(_NoRetrieval(), FakeListChatModel(responses=[kept])).standalone_question(question, history) == kept


@pytest.mark.parametrize(
    ("history", "follow_up", "whole"),
    [
        ([("天机是什么？", "天机是 SocialAI 制作的人工智能系统[1]。")], "它是哪个团队做的？", "天机是哪个团队做的？"),
        ([("天机是什么？", "……"), ("它是哪个团队做的？", "SocialAI[1]。")], "它能做哪些任务？", "天机能做哪些任务？"),
        ([("智谱 GLM 的 temperature 取值范围是多少？", "(0.0, 1.0)[1]。")], "那文心一言的呢？",
         "文心一言 的 temperature 取值范围是多少？"),
        ([("DeepSeek 在 2023 年 11 月发布了哪些模型？", "7B 和 67B[1]。")], "那 2024 年呢？", "DeepSeek 在 2024 年发布了哪些模型？"),
        ([("周明远的办公室在哪里？", "七号楼十二层 1207 室[1]。")], "他的分机号呢？", "周明远的分机号呢？"),
        ([("谁负责入职手续？", "人事经理林晓雯负责入职和离职手续[1]。")], "她的办公室在哪？", "林晓雯的办公室在哪？"),
        ([("什么是 RAG？", "检索增强生成[1]。")], "它有哪些优势？", "RAG 有哪些优势？"),
        ([("HTTP 服务是用哪个命令启动的？", "serve[1]。")], "它绑定到其他地址时需要什么？", "HTTP 服务绑定到其他地址时需要什么？"),
        # 它 acted on stands for the value the last question asked for; as the subject, for its topic
        ([("HTTP 服务默认监听哪个端口？", "6006[1]。")], "怎么修改它？", "怎么修改 HTTP 服务的端口？"),
        ([("星河科技的数据库是什么？", "PostgreSQL[1]。")], "如何备份它？", "如何备份星河科技的数据库？"),
        ([("HTTP 服务默认监听哪个端口？", "6006[1]。")], "它绑定到其他地址时需要什么？", "HTTP 服务绑定到其他地址时需要什么？"),
        ([("什么是 RAG？", "检索增强生成[1]。")], "怎么实现它？", "怎么实现 RAG？"),
        ([("Which port does the HTTP server listen on?", "6006 [1].")], "How do I change it?",
         "How do I change the HTTP server's port?"),
        ([("Which port does the HTTP server listen on?", "6006 [1].")], "Does it need an API key?",
         "Does the HTTP server need an API key?"),
        # English people by the look of their names; they: the people an answer names together
        ([("Who is the finance director?", "The finance director is Zhou Mingyuan [1].")], "Where is his office?",
         "Where is Zhou Mingyuan's office?"),
        ([("What did Tesla invent?", "Tesla invented the induction motor [1].")], "When did he die?", "When did Tesla die?"),
        ([("Who wrote the pumpkin book?", "It was written by Xie Wenrui and Qin Zhou [1].")], "Where do they work?",
         "Where do Xie Wenrui and Qin Zhou work?"),
        ([("Which embedding models ship with kb-assistant?", "multilingual-e5-small and all-MiniLM-L6-v2 [1].")],
         "Which one is for English?", "Which of multilingual-e5-small and all-MiniLM-L6-v2 is for English?"),
        ([("Where do settings come from?", ("From `kb-assistant.toml`, from `KB_*` environment variables, and from command-line "
                                            "flags, in increasing order of priority. The vector store lives in `vectorstore/`."))],
         "Which one has the highest priority?",
         "Which of `kb-assistant.toml`, `KB_*` environment variables and command-line flags has the highest priority?"),
        ([("What is the default embedding model?", "multilingual-e5-small [1].")], "Which package ships it?",
         "Which package ships the default embedding model?"),
        ([("How much does the basic plan cost?", "$10 a month [1].")], "And the pro plan?", "How much does the pro plan cost?"),
    ],
)
def test_a_follow_up_is_made_whole_by_rule_without_asking_the_model(
    history: list[tuple[str, str]], follow_up: str, whole: str
) -> None:
    """The 0.5B model left 7 of 12 such follow-ups as they were or rewrote them about the wrong thing ("它是哪个团队做的？"
    searched as it is was answered "天机是由OpenAI团队开发的"); a pronoun or an ellipsis says what it stands for."""
    chain = QAChain(_NoRetrieval(), FakeListChatModel(responses=["the model must not be asked"]))
    assert chain.standalone_question(follow_up, history) == whole


@pytest.mark.parametrize("follow_up", ["第二个原则具体是什么意思？", "价格是多少呢？", "我觉得不错呢", "And what is required for another address?"])
def test_a_follow_up_no_rule_reads_is_left_to_the_model(follow_up: str) -> None:
    """An ordinal whose list the last answer does not hold, a clause that asks by itself ("价格是多少呢？", "And what is
    required…?") or a remark ("我觉得不错呢") is no pronoun nor ellipsis: asking the previous question of it would
    garble it."""
    history = [("Prompt Engineering 的原则是什么？", "要编写清晰而具体的指令[1]。")]
    assert resolve_follow_up(follow_up, history) is None


def test_earlier_answers_reach_the_model_as_said_without_our_quote_wrapper_or_old_markers() -> None:
    """After a quoted answer, the 0.5B model wrote its next one as 'Quoting source : "An API key is required…" [1].':
    it copied the wrapper from the history. Earlier answers are given as the sentences they say."""
    history = [("And its default port?", 'Quoting source [1]: "By default it listens on 127.0.0.1, port 6006."'),
               ("周明远的办公室在哪里？", "根据资料[2]原文：“财务总监周明远的办公室在七号楼十二层 1207 室。”")]
    messages = QAChain(_NoRetrieval(), FakeListChatModel(responses=[""])).messages("What is required?", history, [])
    said = [m.content for m in messages if m.type == "ai"]
    assert said == ["By default it listens on 127.0.0.1, port 6006.", "财务总监周明远的办公室在七号楼十二层 1207 室。"]


@pytest.mark.parametrize(
    ("history", "follow_up", "whole"),
    [
        ([("Prompt Engineering 的两个关键原则是什么？", "Prompt Engineering 的两个关键原则是：编写清晰、具体的指令和给予模型充足思考时间[2]。")],
         "第二个原则具体是什么意思？", "“给予模型充足思考时间”原则具体是什么意思？"),
        ([("kb-assistant 支持哪些文件格式？", "kb-assistant 支持 Markdown、纯文本、PDF、Word（.docx）、HTML、CSV、JSON 和字幕文件[1]。")],
         "第三种怎么导入？", "“PDF”怎么导入？"),
        ([("kb-assistant 支持哪些文件格式？", "kb-assistant 支持 Markdown、纯文本、PDF、Word（.docx）、HTML、CSV、JSON 和字幕文件[1]。")],
         "最后一种呢？", "“字幕文件”呢？"),
        ([("RAG 有哪些优势？", "1. **个性化信息服务**：系统允许用户定制知识库[1]。\n2. **技术创新示范**：项目展示了 RAG 的优势[1]。")],
         "第二点能详细说说吗？", "“技术创新示范”能详细说说吗？"),
        ([("What are the two principles of prompt engineering?",
           'Quoting source [1]: "Write clear and specific instructions, and give the model time to think."')],
         "What does the second one mean?", 'What does "give the model time to think" mean?'),
    ],
)
def test_an_item_named_by_its_place_is_the_last_answers_item(history: list[tuple[str, str]], follow_up: str,
                                                             whole: str) -> None:
    """"第二个原则具体是什么意思？" was not rewritten at all (no pronoun), or rewritten by the model as the first answer again;
    the item is read from the last answer's list: its numbered lines, else its enumeration, cut into as many items
    as the question asked for ("两个": 编写清晰、具体的指令 is one)."""
    chain = QAChain(_NoRetrieval(), FakeListChatModel(responses=["the model must not be asked"]))
    assert chain.standalone_question(follow_up, history) == whole
