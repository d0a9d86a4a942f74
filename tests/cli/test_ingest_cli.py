"""The ingest commands as a user runs them: real processes, real store, SIGKILL, locks, a Chroma server."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from kb_assistant.config import Settings
from kb_assistant.kb import KBStore
from tests.conftest import REPO, chroma_server, shared_path


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kb_assistant", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=os.getcwd(),
    )


def _chunk_count(settings: Settings) -> int:
    return KBStore(settings).collection().count()


def test_ingest_sample_data_exit_codes_and_list(tmp_path: Path, settings: Settings) -> None:
    # The sample documents with a broken PDF among them: the rest is indexed, the run exits 1 naming the file.
    docs = tmp_path / "docs"
    shutil.copytree(REPO / "data", docs)
    (docs / "bad.pdf").write_bytes(b"%PDF-1.4 not really")
    result = run_cli("ingest", str(docs))
    assert result.returncode == 1, result.stderr
    assert "added" in result.stdout and "knowledge base 'default'" in result.stdout
    assert "failed bad.pdf: corrupt or unreadable PDF" in result.stdout.replace("\n", " ")
    assert {r.source for r in KBStore(settings).file_records().values()} == {p.name for p in (REPO / "data").iterdir()}
    listing = run_cli("list")
    assert "default" in listing.stdout and "multilingual-e5" in listing.stdout
    removed = run_cli("remove", str(docs / "faq.txt"))
    assert removed.returncode == 0 and "removed faq.txt" in removed.stdout
    _assert_lexical_in_step(settings)  # the CLI's remove reaches the lexical index too

    result = run_cli("ingest", str(tmp_path / "missing"))
    assert result.returncode == 2 and result.stderr.strip().startswith("error:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_embedding_mismatch_cli_message(settings: Settings) -> None:
    assert run_cli("ingest", str(REPO / "data" / "faq.txt")).returncode == 0
    result = run_cli("--embedding-model", "packaged:all-MiniLM-L6-v2", "ingest", str(REPO / "data"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "reindex" in lines[0] and "multilingual-e5-small" in lines[0]


def test_sigkill_mid_ingest_then_rerun_finishes_without_duplicates(tmp_path: Path, settings: Settings) -> None:
    source = shared_path("corpora", "llm_universe_kb", "docs")
    docs = tmp_path / "docs"
    docs.mkdir()
    for chapter in ("C2", "C3"):  # three files, ~140 chunks: the first commits alone, the kill lands in the next
        for md in sorted(source.glob(f"{chapter}/*.md")):
            (docs / md.name).write_bytes(md.read_bytes())
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb_assistant", "ingest", str(docs)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "KB_INGEST_GROUP_FILES": "1"},  # commit file by file, so a kill lands mid-run
    )
    records = settings.persist_dir / "records.sqlite"
    deadline = time.time() + 300
    written = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.5)
        if records.exists():
            try:
                with sqlite3.connect(records, timeout=1) as conn:
                    written = conn.execute("select count(*) from upsertion_record").fetchone()[0]
            except sqlite3.OperationalError:
                continue
            if written >= 32:
                break
    assert proc.poll() is None, "ingest finished before it could be killed; use a larger corpus"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert written >= 32

    partial = _chunk_count(settings)  # the store opens after the kill
    result = run_cli("ingest", str(docs))
    assert result.returncode == 0, result.stderr
    final = _chunk_count(settings)
    assert final > partial
    recorded = sum(r.chunks for r in KBStore(settings).file_records().values())
    assert final == recorded  # every chunk belongs to exactly one recorded file: no duplicates, no orphans
    got = KBStore(settings).collection().get(include=["metadatas"])
    keys = [(m["source"], m["chunk_index"]) for m in got["metadatas"]]
    assert len(keys) == len(set(keys))
    again = run_cli("ingest", str(docs))
    assert again.returncode == 0 and _chunk_count(settings) == final
    _assert_lexical_in_step(settings)  # killed between the two writes or not, the lexical index caught up


def _assert_lexical_in_step(settings: Settings) -> None:
    store = KBStore(settings)
    assert store.lexical_index().ids() == set(store.collection().get(include=[])["ids"])


def test_second_ingest_into_same_kb_fails_clearly(settings: Settings) -> None:
    store = KBStore(settings)
    with store.write_lock():
        result = run_cli("ingest", str(REPO / "data"))
    assert result.returncode == 2
    assert "another ingest is writing to knowledge base 'default'" in result.stderr
    other_kb = run_cli("ingest", str(REPO / "data" / "faq.txt"), "--kb", "other")
    assert other_kb.returncode == 0  # other KBs are not blocked


def test_ingest_into_chroma_server(tmp_path: Path) -> None:
    with chroma_server(tmp_path / "server-data") as port:
        server_args = ("--chroma-host", "127.0.0.1", "--chroma-port", str(port))
        result = run_cli(*server_args, "ingest", str(REPO / "data"))
        assert result.returncode == 0, result.stderr
        assert not (tmp_path / "vectorstore" / "chroma").exists()  # nothing went to the local store
        listing = run_cli(*server_args, "list")
        assert "default" in listing.stdout
        import chromadb

        client = chromadb.HttpClient(host="127.0.0.1", port=port)
        assert client.get_collection("kb_default").count() > 3
