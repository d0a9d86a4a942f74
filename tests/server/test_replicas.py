"""Two `serve` replicas over one `chroma run` server, sharing a persist folder (records, change log, lexical
index): what one ingests or removes, the other finds or stops finding, with no duplicates."""

from __future__ import annotations

from pathlib import Path

import chromadb
import requests

from tests.conftest import chroma_server
from tests.server.conftest import start_server, stop_server

NOTE = "The replication scheduler copies the ledger every 17 minutes to the standby site in Tromsø.\n"


def _search(url: str, query: str) -> list[dict]:
    response = requests.post(f"{url}/v1/kbs/ops/search", json={"query": query, "k": 5}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_replicas_see_each_others_ingests_and_removals(tmp_path: Path) -> None:
    with chroma_server(tmp_path / "chroma-data") as port:
        # Generation goes to a served model (never called here), so each replica loads only its embedder.
        env = {"KB_CHROMA_HOST": "127.0.0.1", "KB_CHROMA_PORT": str(port), "KB_LLM_BASE_URL": "http://127.0.0.1:9/v1"}
        persist = tmp_path / "shared"
        first = start_server(persist, env)
        second = start_server(persist, env)
        try:
            # Replica 2 opens the KB (and caches its retriever) before replica 1 adds to it.
            seed = requests.post(f"{first.url}/v1/kbs/ops/files", files=[("files", ("seed.md", b"# Seed\n\nBackups run nightly.\n"))], timeout=120)
            assert seed.status_code == 200, seed.text
            assert _search(second.url, "backups nightly")[0]["metadata"]["source"] == "seed.md"

            added = requests.post(f"{first.url}/v1/kbs/ops/files", files=[("files", ("ledger.md", NOTE.encode()))], timeout=120)
            assert added.status_code == 200, added.text
            hits = _search(second.url, "How often is the ledger copied to the standby site?")
            assert hits[0]["metadata"]["source"] == "ledger.md" and hits[0]["metadata"].get("bm25_score")

            again = requests.post(f"{second.url}/v1/kbs/ops/files", files=[("files", ("ledger.md", NOTE.encode()))], timeout=120)
            assert again.status_code == 200 and again.json()["files"][0]["status"] == "unchanged"
            collection = chromadb.HttpClient(host="127.0.0.1", port=port).get_collection("kb_ops")
            got = collection.get(include=["metadatas"])
            assert sorted(m["source"] for m in got["metadatas"]) == ["ledger.md", "seed.md"]  # no duplicates

            assert requests.delete(f"{second.url}/v1/kbs/ops/files/ledger.md", timeout=60).status_code == 200
            assert all(h["metadata"]["source"] != "ledger.md" for h in _search(first.url, "ledger standby site Tromsø"))
        finally:
            stop_server(first)
            stop_server(second)
