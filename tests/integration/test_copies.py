"""The same passage in several files (a document saved twice, a page scraped twice) is one result that names
every file, so the model's context holds distinct passages (real KB, real embedding model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kb_assistant.config import Settings
from kb_assistant.ingestion import ingest
from kb_assistant.qa import QAChain
from kb_assistant.retrieval import make_retriever
from tests.conftest import shared_path

BACKUPS = "# 备份\n\n星河科技的数据库每天凌晨两点做一次全量备份，备份保留三十天，存放在七号楼的机房。"
PORTS = "# 端口\n\n星河科技的 HTTP 服务监听 6006 端口，管理后台监听 6007 端口，均只在内网开放。"


def test_a_passage_in_three_files_is_one_result_naming_all_three(
    tmp_path: Path, settings: Settings, embeddings: Any
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ops.md").write_text(BACKUPS, encoding="utf-8")
    (docs / "ops (1).md").write_text(BACKUPS, encoding="utf-8")
    # the same words scraped with other line breaks still count as the same passage
    (docs / "ops-copy.md").write_text(BACKUPS.replace("，", "，\n"), encoding="utf-8")
    (docs / "ports.md").write_text(PORTS, encoding="utf-8")
    assert ingest([docs], settings, embeddings=embeddings).ok
    results = make_retriever(settings.with_overrides(top_k=3), embeddings).invoke("数据库多久备份一次？")
    backups = [d for d in results if "全量备份" in d.page_content]
    assert len(backups) == 1
    named = {backups[0].metadata["source"], *backups[0].metadata["copies"]}
    assert named == {"ops.md", "ops (1).md", "ops-copy.md"}
    assert any(d.metadata["source"] == "ports.md" for d in results)  # the freed places go to other passages
    sources = QAChain.sources(results)
    assert set(sources[results.index(backups[0])].copies) == named - {backups[0].metadata["source"]}


def test_a_transcript_written_in_five_formats_is_one_result_naming_all_five(
    tmp_path: Path, settings: Settings, embeddings: Any
) -> None:
    """Whisper writes one transcript as .txt, .srt, .vtt, .tsv and .json side by side: the timings and the JSON's
    token ids are not text, so all five read as the same spoken lines and each passage is found once."""
    source = shared_path("corpora", "llm_universe_kb", "knowledge_db", "easy_rl")
    docs = tmp_path / "docs"
    docs.mkdir()
    for suffix in ("txt", "srt", "vtt", "tsv", "json"):
        (docs / f"intro.{suffix}").write_bytes((source / f"强化学习入门指南.{suffix}").read_bytes())
    report = ingest([docs], settings, embeddings=embeddings)
    assert report.ok and report.count("added") == 5
    results = make_retriever(settings.with_overrides(top_k=3), embeddings).invoke("蘑菇书全书一共多少章？")
    chapters = [d for d in results if "蘑菇书全书一共13章" in d.page_content]
    assert len(chapters) == 1
    assert {chapters[0].metadata["source"], *chapters[0].metadata["copies"]} == {
        f"intro.{suffix}" for suffix in ("txt", "srt", "vtt", "tsv", "json")
    }
    assert "659000" not in chapters[0].page_content and "tokens" not in chapters[0].page_content
