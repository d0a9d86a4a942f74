"""The English companion index: kept in step with the KB through its change log, searched only for English queries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kb_assistant.config import Settings
from kb_assistant.ingestion import ingest, remove_paths
from kb_assistant.kb import KBStore, list_kbs
from kb_assistant.kb.english import english_collection_name, is_english
from kb_assistant.retrieval import make_retriever

ENGLISH = (
    "# Vitamin B12\n\nA deficiency of vitamin B12 raises blood levels of homocysteine, because the enzyme "
    "methionine synthase needs B12 to turn homocysteine back into methionine. Supplements lower it again.\n"
)
CHINESE = "# 端口\n\n知识库助手的服务默认监听 6006 端口，可以在配置文件里修改。启动后打开浏览器访问即可。\n"


def test_language_test_on_mixed_text() -> None:
    assert is_english("What does vitamin B12 do to homocysteine?")
    assert not is_english("它的默认端口呢？")
    assert not is_english("安装：运行 pip install kb-assistant 然后执行 make run 即可开始")
    assert is_english("The Qwen2 model (通义千问) answers questions about the handbook in detail.")
    assert not is_english("12345 !!!")


def _english_ids(settings: Settings) -> set[str]:
    store = KBStore(settings)
    names = {c.name for c in store.client.list_collections()}
    if english_collection_name(settings.kb) not in names:
        return set()
    return set(store.client.get_collection(english_collection_name(settings.kb)).get(include=[])["ids"])


def _chunk_ids(settings: Settings, source: str) -> set[str]:
    got = KBStore(settings).collection().get(where={"source": source}, include=[])
    return set(got["ids"])


def test_follows_ingest_edit_remove_and_drop(tmp_path: Path, settings: Settings, embeddings: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "b12.md").write_text(ENGLISH, encoding="utf-8")
    (docs / "port.md").write_text(CHINESE, encoding="utf-8")
    ingest([docs], settings, embeddings=embeddings)
    english = _chunk_ids(settings, "b12.md")
    assert english and _english_ids(settings) == english  # the Chinese chunk is not in it

    (docs / "b12.md").write_text(ENGLISH.replace("Supplements lower it again.", "Folate helps too."), encoding="utf-8")
    ingest([docs], settings, embeddings=embeddings)
    edited = _chunk_ids(settings, "b12.md")
    assert edited != english and _english_ids(settings) == edited

    retriever = make_retriever(settings.with_overrides(top_k=2), embeddings)
    assert retriever.english_share == 0.5  # one English chunk of two: a refusal says when most of the KB is not
    found = retriever.invoke("Which vitamin lowers homocysteine?")
    assert found[0].metadata["source"] == "b12.md"
    assert "english_score" in found[0].metadata and "dense_score" in found[0].metadata
    chinese = retriever.invoke("服务默认端口是多少？")
    assert chinese[0].metadata["source"] == "port.md"
    assert all("english_score" not in d.metadata for d in chinese)  # a Chinese query does not search it

    assert remove_paths([docs / "b12.md"], settings)  # what `remove` on the command line does
    assert _english_ids(settings) == set()  # gone from the English index at once, not at the next ingest
    ingest([docs], settings, embeddings=embeddings)
    assert _english_ids(settings) == edited
    (docs / "b12.md").unlink()
    ingest([docs], settings, embeddings=embeddings, prune=True)
    assert _english_ids(settings) == set()
    assert [kb.name for kb in list_kbs(settings)] == [settings.kb]  # the companion is not listed as a KB

    KBStore(settings).drop()
    assert english_collection_name(settings.kb) not in {c.name for c in KBStore(settings).client.list_collections()}
    assert KBStore(settings).records.applied(f"english/{settings.english_embedding_model}") is None


def test_a_lost_index_is_rebuilt_by_the_next_ingest_and_off_means_off(tmp_path: Path, settings: Settings, embeddings: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "b12.md").write_text(ENGLISH, encoding="utf-8")
    ingest([docs], settings, embeddings=embeddings)
    expected = _english_ids(settings)
    embeddings_before = embeddings.texts_embedded
    KBStore(settings).client.delete_collection(english_collection_name(settings.kb))  # e.g. a crash or a hand edit
    assert not make_retriever(settings, embeddings).english  # a question never waits for a rebuild
    report = ingest([docs], settings, embeddings=embeddings)  # nothing changed, but the index comes back
    assert report.chunks_written == 0 and embeddings.texts_embedded == embeddings_before
    assert _english_ids(settings) == expected

    off = settings.with_overrides(english_embedding_model="")  # as KB_ENGLISH_EMBEDDING_MODEL="" sets it
    retriever = make_retriever(off, embeddings)
    assert not retriever.english and retriever.english_share is None  # unknown, not "no English"
    assert all("english_score" not in d.metadata for d in retriever.invoke("vitamin B12 homocysteine"))


def test_a_missing_english_model_costs_the_index_not_the_ingest(
    tmp_path: Path, settings: Settings, embeddings: Any, caplog: Any
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "b12.md").write_text(ENGLISH, encoding="utf-8")
    missing = settings.with_overrides(english_embedding_model=str(tmp_path / "no-such-model"))
    report = ingest([docs], missing, embeddings=embeddings)
    assert report.chunks_written > 0 and not report.failed
    assert "English index not updated" in caplog.text and "no-such-model" in caplog.text
    found = make_retriever(missing, embeddings).invoke("vitamin B12 homocysteine")
    assert found and found[0].metadata["source"] == "b12.md"
    ingest([docs], settings, embeddings=embeddings)  # the model is back: the next run, unchanged files, fills it
    assert _english_ids(settings) == _chunk_ids(settings, "b12.md")
