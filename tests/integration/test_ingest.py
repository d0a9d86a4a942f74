"""Incremental ingestion into a real persistent Chroma store with the real default embedding model."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kb_assistant.config import Settings
from kb_assistant.errors import EmbeddingMismatchError
from kb_assistant.ingestion import ingest, reindex, remove_paths
from kb_assistant.kb import KBStore
from tests.conftest import shared_path


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A copy of the prompt-engineering Markdown chapters plus the .docx and the easy_rl transcript."""
    kb = shared_path("corpora", "llm_universe_kb")
    target = tmp_path / "docs"
    shutil.copytree(kb / "knowledge_db" / "prompt_engineering", target / "prompt_engineering")
    shutil.copy(kb / "c7_data" / "1. 简介 Introduction.docx", target / "intro.docx")
    shutil.copy(kb / "knowledge_db" / "easy_rl" / "强化学习入门指南.srt", target / "easy_rl.srt")
    return target


def _store_state(settings: Settings) -> dict[str, dict]:
    collection = KBStore(settings).collection()
    got = collection.get(include=["metadatas", "documents"])
    return {i: {"meta": m, "text": d} for i, m, d in zip(got["ids"], got["metadatas"], got["documents"], strict=True)}


@pytest.fixture
def many_small_docs(tmp_path: Path) -> Path:
    """45 files, mostly short: two chapters, the .docx, the transcript, a broken PDF and 40 one-line notes. What
    the worker tests are about is files, not text, so few chunks keep the three ingests below quick."""
    kb = shared_path("corpora", "llm_universe_kb")
    target = tmp_path / "many"
    (target / "notes").mkdir(parents=True)
    for chapter in ("1. 简介 Introduction.md", "9. 总结 Summary.md"):
        shutil.copy(kb / "knowledge_db" / "prompt_engineering" / chapter, target / chapter)
    shutil.copy(kb / "c7_data" / "1. 简介 Introduction.docx", target / "intro.docx")
    shutil.copy(kb / "knowledge_db" / "easy_rl" / "强化学习入门指南.srt", target / "easy_rl.srt")
    (target / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    for i in range(40):
        (target / "notes" / f"note-{i:02d}.txt").write_text(f"第 {i} 号笔记：工单 {1000 + i} 由运维组处理。\n", encoding="utf-8")
    return target


def test_full_then_incremental(docs: Path, settings: Settings, embeddings) -> None:
    first = ingest([docs], settings, embeddings=embeddings)
    assert first.ok, first.failed
    assert first.count("added") == 11
    state = _store_state(settings)
    assert len(state) == first.chunks_written > 30
    meta = next(v["meta"] for v in state.values() if v["meta"]["source"].endswith("Guidelines.md"))
    assert meta["source"] == "prompt_engineering/2. 提示原则 Guidelines.md"
    assert len(meta["file_hash"]) == 64 and "chunk_index" in meta and meta["headings"]

    # Unchanged: no embedding computed, nothing written.
    before = embeddings.texts_embedded
    again = ingest([docs], settings, embeddings=embeddings)
    assert again.count("unchanged") == 11 and again.chunks_written == 0
    assert embeddings.texts_embedded == before
    assert _store_state(settings) == state

    # Edit one file: only its chunks are replaced.
    edited = docs / "prompt_engineering" / "9. 总结 Summary.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n\n新增的一段：知识库会替换这个文件的全部文本块。\n", encoding="utf-8")
    before = embeddings.texts_embedded
    third = ingest([docs], settings, embeddings=embeddings)
    assert third.count("updated") == 1 and third.count("unchanged") == 10
    after = _store_state(settings)
    edited_source = "prompt_engineering/9. 总结 Summary.md"
    untouched = {k: v for k, v in state.items() if v["meta"]["source"] != edited_source}
    assert {k: v for k, v in after.items() if v["meta"]["source"] != edited_source} == untouched
    new_chunks = [v for v in after.values() if v["meta"]["source"] == edited_source]
    assert any("新增的一段" in v["text"] for v in new_chunks)
    assert all(v["meta"]["file_hash"] == third_hash(edited) for v in new_chunks)
    assert embeddings.texts_embedded - before <= len(new_chunks)

    # Delete one: its chunks go with --prune, not without.
    (docs / "intro.docx").unlink()
    kept = ingest([docs], settings, embeddings=embeddings)
    assert any(v["meta"]["source"] == "intro.docx" for v in _store_state(settings).values())
    assert kept.count("removed") == 0
    pruned = ingest([docs], settings, embeddings=embeddings, prune=True)
    assert pruned.count("removed") == 1
    assert not any(v["meta"]["source"] == "intro.docx" for v in _store_state(settings).values())
    assert "intro.docx" not in {r.source for r in KBStore(settings).file_records().values()}


def third_hash(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_remove_and_reindex(many_small_docs: Path, settings: Settings, embeddings) -> None:
    docs = many_small_docs
    settings = settings.with_overrides(english_embedding_model="")  # test_english_index covers that index
    ingest([docs], settings, embeddings=embeddings)
    total = len(_store_state(settings))
    report = reindex(settings, embeddings=embeddings)
    assert report.ok and report.count("added") == 44  # every file but the broken PDF, which was never indexed
    assert len(_store_state(settings)) == total
    removed = remove_paths([docs / "notes"], settings)
    assert len(removed) == 40
    assert {v["meta"]["source"] for v in _store_state(settings).values()} == {
        "1. 简介 Introduction.md", "9. 总结 Summary.md", "intro.docx", "easy_rl.srt"}


def test_embedding_model_mismatch_is_a_clear_error(docs: Path, settings: Settings, embeddings) -> None:
    from kb_assistant.embeddings import make_embeddings

    ingest([docs / "prompt_engineering" / "9. 总结 Summary.md"], settings, embeddings=embeddings)
    other = make_embeddings(settings.with_overrides(embedding_model="packaged:all-MiniLM-L6-v2"))
    with pytest.raises(EmbeddingMismatchError, match="reindex"):
        ingest([docs], settings, embeddings=other)
    with pytest.raises(EmbeddingMismatchError):
        KBStore(settings).vectorstore(other)


def test_bad_files_are_reported_and_the_rest_indexed(tmp_path: Path, settings: Settings, embeddings) -> None:
    import pymupdf

    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "good.md").write_text("# 好文件\n这个文件可以被正常索引。", encoding="utf-8")
    (folder / "gbk.txt").write_bytes("这是一个 GBK 编码的文本文件，内容应当被正确解码。".encode("gbk"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.pdf").write_bytes(os.urandom(4096))
    (folder / "binary.md").write_bytes(b"\x00\x01\x02" + os.urandom(2048))
    (folder / "truncated.pdf").write_bytes(shared_path("corpora", "llm_universe_kb", "knowledge_db", "pumkin_book", "pumpkin_book.pdf").read_bytes()[:5000])
    pdf = pymupdf.open()
    pdf.new_page().insert_text((72, 72), "secret text")
    pdf.save(str(folder / "encrypted.pdf"), encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="pw", owner_pw="pw")
    picture = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 64, 64), False)
    picture.clear_with(180)
    scan = pymupdf.open()
    scan.new_page().insert_image(pymupdf.Rect(0, 0, 595, 842), stream=picture.tobytes("png"))
    scan.save(str(folder / "scan.pdf"))
    (folder / "fake.pdf").write_bytes(b"%PDF-1.7 this is not really a pdf" * 20)
    with (folder / "huge.txt").open("wb") as f:
        f.truncate(200 * 1024 * 1024)  # sparse: 200 MB on paper, nothing on disk
    (folder / "loop.md").symlink_to(folder / "loop2.md")
    (folder / "loop2.md").symlink_to(folder / "loop.md")
    bad_name = os.path.join(os.fsencode(folder), b"bad-\xff\xfe-name.txt")
    with open(bad_name, "wb") as f:
        f.write("some text".encode())

    report = ingest([folder], settings, embeddings=embeddings)
    by_source = {o.source: o for o in report.outcomes}
    assert by_source["good.md"].status == "added"
    assert by_source["gbk.txt"].status == "added"
    reasons = {s: o.reason for s, o in by_source.items() if o.status == "failed"}
    assert "empty" in reasons["empty.txt"]
    assert "corrupt" in reasons["binary.pdf"]
    assert "binary" in reasons["binary.md"]
    assert reasons["truncated.pdf"]
    assert "encrypted" in reasons["encrypted.pdf"]
    # A scan whose picture holds no text: read by OCR, nothing found, skipped (not failed: re-runs stay green).
    assert by_source["scan.pdf"].status == "skipped" and "OCR found none" in by_source["scan.pdf"].reason
    assert "corrupt" in reasons["fake.pdf"] and "scan" not in reasons["fake.pdf"]  # damaged is not "scanned"
    assert "200 MB" in reasons["huge.txt"] and "KB_MAX_FILE_MB" in reasons["huge.txt"]
    assert "symlink loop" in reasons["loop.md"]
    assert any("UTF-8" in r for s, r in reasons.items() if s.startswith("bad-"))
    assert not report.ok and len(report.failed) == 10
    texts = [v["text"] for v in _store_state(settings).values()]
    assert any("GBK 编码的文本文件" in t for t in texts)
    assert all("\ufffd" not in t for t in texts)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file_is_reported(tmp_path: Path, settings: Settings, embeddings) -> None:
    folder = tmp_path / "perm"
    folder.mkdir()
    locked = folder / "locked.md"
    locked.write_text("secret")
    locked.chmod(0)
    report = ingest([folder], settings, embeddings=embeddings)
    assert "permission denied" in report.failed[0].reason


def _worker_processes() -> list[object]:
    import psutil

    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            if process.status() != psutil.STATUS_ZOMBIE and "popen_loky" in " ".join(process.cmdline()):
                found.append(process)
        except psutil.Error:  # gone meanwhile
            continue
    return found


def test_worker_processes_index_the_same_chunks_and_survive_a_killed_worker(
    many_small_docs: Path, tmp_path: Path, embeddings, caplog: pytest.LogCaptureFixture
) -> None:
    docs = many_small_docs
    # Groups of 2 files, read by two workers, two groups ahead of the embedding model. The English index is
    # test_english_index's subject; here it would only embed the same chunks a second time.
    def kb(name: str, workers: int) -> Settings:
        return Settings(persist_dir=tmp_path / name, ingest_group_files=2, ingest_workers=workers,
                        english_embedding_model="")

    serial, parallel = kb("serial", 0), kb("parallel", 2)
    expected = ingest([docs], serial, embeddings=embeddings)
    got = ingest([docs], parallel, embeddings=embeddings)
    assert [(o.source, o.status, o.chunks) for o in got.outcomes] == [(o.source, o.status, o.chunks) for o in expected.outcomes]
    assert [o.source for o in got.failed] == ["broken.pdf"]
    assert _store_state(parallel) == _store_state(serial)
    # the lexical index took the workers' search tokens: the same ranking, the same scores
    for query in ("Prompt 的两个核心原则", "Large Language Model", "强化学习"):
        found = KBStore(parallel).search_lexical(query, 5)
        assert found and found == KBStore(serial).search_lexical(query, 5)

    class KillOneWorker:
        killed = 0

        def files_found(self, total: int) -> None: ...
        def chunks_written(self, count: int) -> None: ...

        def file_done(self, outcome: object) -> None:
            workers = _worker_processes()
            if not self.killed and workers:
                workers[0].kill()  # as the OOM killer would
                self.killed = 1

    # More files (45) than the workers read ahead (16), so that some are in flight when one worker is killed.
    killed_kb = kb("killed", 2)
    progress = KillOneWorker()
    survived = ingest([docs], killed_kb, embeddings=embeddings, progress=progress)
    assert progress.killed and "an ingest worker process died" in caplog.text
    assert [(o.source, o.status, o.chunks) for o in survived.outcomes] == [(o.source, o.status, o.chunks) for o in expected.outcomes]
    assert _store_state(killed_kb) == _store_state(serial)
    assert not _worker_processes()  # none left behind
