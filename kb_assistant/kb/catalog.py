"""The knowledge bases of a store, for ``list`` and ``GET /kbs``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kb_assistant.config import Settings
from kb_assistant.kb.client import COLLECTION_PREFIX, open_client
from kb_assistant.kb.records import file_summaries

if TYPE_CHECKING:
    from chromadb.api import ClientAPI


@dataclass(frozen=True)
class KBInfo:
    """One row of ``list``."""

    name: str
    files: int
    chunks: int
    embedding_model: str
    updated_at: datetime | None


def list_kbs(settings: Settings, client: ClientAPI | None = None) -> list[KBInfo]:
    """Every knowledge base in the store with its files, chunks, model and last update."""
    client = client or open_client(settings)
    summaries = file_summaries(settings.persist_dir)
    infos = []
    for listed in client.list_collections():
        if not listed.name.startswith(COLLECTION_PREFIX):
            continue
        kb = listed.name.removeprefix(COLLECTION_PREFIX)
        collection = client.get_collection(listed.name, embedding_function=None)
        files, last = summaries.get(kb, (0, None))
        infos.append(
            KBInfo(
                name=kb,
                files=files,
                chunks=collection.count(),
                embedding_model=str((collection.metadata or {}).get("embedding_model", "?")),
                updated_at=datetime.fromtimestamp(last, tz=UTC) if last else None,
            )
        )
    return sorted(infos, key=lambda i: i.name)
