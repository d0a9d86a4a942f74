"""Retrieval QA end to end with the real embedded models: sources, refusals, follow-ups, the eval command."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kb_assistant.config import Settings
from kb_assistant.evaluation import evaluate, retrieval_metrics
from kb_assistant.ingestion import ingest
from kb_assistant.llms import LocalChatModel
from kb_assistant.qa import build_qa_chain
from kb_assistant.retrieval import make_retriever, reciprocal_rank_fusion
from tests.conftest import REPO, shared_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def llm() -> Iterator[LocalChatModel]:
    yield LocalChatModel.from_pretrained("packaged:qwen2.5-0.5b-instruct", Settings(), temperature=0, max_new_tokens=64)


def test_rrf_prefers_documents_ranked_well_by_both() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "x"], ["b", "c"]], k=60)
    assert [d for d, _ in fused][0] == "b"
    assert {d for d, _ in fused} == {"a", "b", "c", "x"}
    assert dict(fused)["a"] > dict(fused)["x"]


@pytest.mark.parametrize(("fusion", "mmr"), [("convex", False), ("rrf", False), ("convex", True)])
def test_every_fusion_finds_the_answer_in_both_languages(settings: Settings, embeddings, fusion: str, mmr: bool) -> None:
    ingest([REPO / "data"], settings, embeddings=embeddings)
    retriever = make_retriever(settings.with_overrides(fusion=fusion, mmr=mmr), embeddings)
    for question, source in [
        ("kb-assistant 的 HTTP 服务默认监听哪个端口？", "kb-assistant-指南.md"),
        ("On which port does the kb-assistant HTTP server listen by default?", "kb-assistant-guide.md"),
    ]:
        docs = retriever.invoke(question)
        assert docs[0].metadata["source"] == source
        scores = [d.metadata["score"] for d in docs]
        assert scores == sorted(scores, reverse=True) and all(s == s for s in scores)  # ordered, no NaN


def test_metrics_on_a_known_ranking() -> None:
    metrics = retrieval_metrics({"q": ["x", "d1", "y", "d2"]}, {"q": {"d1": 1, "d2": 1}})
    assert metrics["recall@1"] == 0 and metrics["recall@5"] == 1 and metrics["mrr@10"] == 0.5


def test_eval_asks_a_datasets_questions_as_another_language_asks_them() -> None:
    """`eval ../shared/eval/xquad_zh --questions-from ../shared/eval/xquad_en`: English questions of Chinese
    passages, judged as before, either language's gold answer counting."""
    from kb_assistant.errors import ConfigError
    from kb_assistant.evaluation import asked_as_in, load_dataset

    chinese = load_dataset(shared_path("eval", "xquad_zh"), limit=5)
    english = asked_as_in(chinese, shared_path("eval", "xquad_en"))
    assert [q["id"] for q in english.queries] == [q["id"] for q in chinese.queries]
    assert all(not any("\u4e00" <= c <= "\u9fff" for c in q["text"]) for q in english.queries)
    pairs = list(zip(chinese.queries, english.queries, strict=True))
    assert all(set(c["answers"]) <= set(e["answers"]) for c, e in pairs)
    assert any(set(c["answers"]) < set(e["answers"]) for c, e in pairs)  # "四次" and "four"
    assert english.corpus is chinese.corpus and english.qrels is chinese.qrels
    with pytest.raises(ConfigError, match="no query id in common"):
        asked_as_in(chinese, shared_path("eval", "cmrc2018_dev"))


def test_an_english_question_on_a_mostly_chinese_kb_is_asked_again_in_chinese(tmp_path: Path, settings: Settings, embeddings,
                                                                          llm) -> None:
    """An English question finds the KB's English passages first (round 13's questions on a Chinese course found its
    English README and code): where most of the KB is Chinese, the refusal says so and what to do. The sample KB, half
    English, keeps the plain refusal (the test below)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.md").write_text("# Port\n\nThe server listens on port 6006 by default.\n", encoding="utf-8")
    (docs / "notes.md").write_text("# Notes\n\nRun make install before the first start.\n", encoding="utf-8")
    for name, text in (("端口.md", "# 端口\n\n服务默认监听 6006 端口，可以在配置文件里修改。\n"),
                       ("安装.md", "# 安装\n\n第一次启动前先运行 make install。\n"),
                       ("备份.md", "# 备份\n\n数据库每天凌晨两点备份，保留 30 天。\n"),
                       ("值班.md", "# 值班\n\n运维值班电话是 400-800-1234，周末也有人接听。\n")):
        (docs / name).write_text(text, encoding="utf-8")
    ingest([docs], settings, embeddings=embeddings)
    # the two passages an English question finds are the English ones
    retriever = make_retriever(settings.with_overrides(top_k=2), embeddings)
    chain = build_qa_chain(retriever, llm, min_relevance=settings.min_relevance, ask_in_other_language=False)
    refused = chain.invoke("What is the boiling point of water on Mars?")
    assert refused["status"] == "refused" and "most of this knowledge base is in Chinese" in refused["answer"]
    assert "知识库中没有找到相关信息" in chain.invoke("火星上水的沸点是多少？")["answer"]  # a Chinese question: as before

    # by default the question is asked again in Chinese: found nowhere, the plain refusal is true
    chain = build_qa_chain(retriever, llm, min_relevance=settings.min_relevance)
    refused = chain.invoke("What is the boiling point of water on Mars?")
    assert refused["status"] == "refused" and refused["asked_as"] and "火星" in refused["asked_as"]
    assert refused["answer"] == "The knowledge base does not contain this information."
    # and where the Chinese passages hold the answer, it is shown as checked against them, in their words
    found = chain.invoke("How many days are database backups kept?")
    assert found["status"] != "refused" and "30" in found["answer"], found
    assert found["answer"].startswith(f"From the Chinese sources, asked in Chinese as “{found['asked_as']}”")
    assert [s["source"] for s in found["sources"] if s["used"]] == ["备份.md"]


def test_answers_with_sources_and_refuses_when_absent(settings: Settings, embeddings, llm) -> None:
    ingest([REPO / "data"], settings, embeddings=embeddings)
    chain = build_qa_chain(make_retriever(settings, embeddings), llm, min_relevance=settings.min_relevance)
    result = chain.invoke("kb-assistant 的 HTTP 服务默认监听哪个端口？")
    assert "6006" in result["answer"]
    assert result["sources"][0]["source"] == "kb-assistant-指南.md"
    assert "HTTP 服务" in result["sources"][0]["headings"]
    english = chain.invoke("On which port does the kb-assistant HTTP server listen by default?")
    assert "6006" in english["answer"]
    assert english["sources"][0]["source"] == "kb-assistant-guide.md"
    absent = chain.invoke("What is the boiling point of water on Mars?")
    assert "does not contain" in absent["answer"]
    parts = list(chain.stream("默认的文本块大小是多少？"))
    assert "sources" in parts[0] and any("answer" in p for p in parts[1:])
    assert "300" in "".join(p.get("answer", "") for p in parts)


PORTS = {
    "Redis": ("redis.md", "Redis 是一个内存数据库，常用作缓存和消息队列。Redis 服务器的默认端口是 6379。"),
    "MySQL": ("mysql.md", "MySQL 是一个关系型数据库管理系统，由 Oracle 维护。MySQL 服务器的默认端口是 3306。"),
    "PostgreSQL": ("postgres.md", "PostgreSQL 是一个开源的对象关系型数据库。PostgreSQL 服务器的默认端口是 5432。"),
    "MongoDB": ("mongodb.md", "MongoDB 是一个面向文档的 NoSQL 数据库。MongoDB 服务器的默认端口是 27017。"),
}


def test_follow_up_only_finds_the_document_after_rewriting(tmp_path: Path, settings: Settings, embeddings, llm) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    for name, text in PORTS.values():
        (folder / name).write_text(text, encoding="utf-8")
    ingest([folder], settings, embeddings=embeddings)
    retriever = make_retriever(settings.with_overrides(top_k=1), embeddings)
    follow_up = "它的默认端口呢？"
    raw_top = retriever.invoke(follow_up)[0].metadata["source"]
    # Ask about a database the raw follow-up does NOT retrieve, so only the rewrite can find it.
    subject = next(s for s, (name, _) in PORTS.items() if name != raw_top)
    chain = build_qa_chain(retriever, llm)
    first = chain.invoke(f"{subject} 是什么？")
    assert first["sources"][0]["source"] == PORTS[subject][0]
    second = chain.invoke({"question": follow_up, "history": [(f"{subject} 是什么？", first["answer"])]})
    assert subject.lower() in second["standalone_question"].lower()
    assert second["sources"][0]["source"] == PORTS[subject][0]
    # No history, no rewrite call: the question is used as is.
    assert chain.invoke(follow_up)["standalone_question"] == follow_up


def test_eval_command_on_a_slice_is_sane(embeddings) -> None:
    report = evaluate(shared_path("eval", "xquad_zh"), Settings(), ["default", "bm25"], limit=25, embeddings=embeddings)
    by_recipe = {r["recipe"]: r["metrics"] for r in report["results"]}
    assert report["queries"] == 25
    assert all(r["failed_files"] == [] for r in report["results"])  # every document of the corpus was indexed
    for metrics in by_recipe.values():
        assert 0 <= metrics["recall@1"] <= metrics["recall@5"] <= metrics["recall@10"] <= 1
    assert by_recipe["default"]["recall@5"] >= 0.8
    assert by_recipe["default"]["ndcg@10"] >= by_recipe["bm25"]["ndcg@10"] - 0.05
