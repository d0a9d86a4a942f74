"""The Chroma client a KB lives in: the persistent store under ``persist_dir``, or a ``chroma run`` server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb_assistant.config import Settings
from kb_assistant.errors import StoreError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

COLLECTION_PREFIX = "kb_"


def collection_name(kb: str) -> str:
    """Chroma collection name of a knowledge base."""
    return COLLECTION_PREFIX + kb


def open_client(settings: Settings) -> ClientAPI:
    """A Chroma client: the persistent store under ``persist_dir``, or a server when ``chroma_host`` is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        path = settings.persist_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as e:  # chromadb raises ValueError/ConnectionError/its own errors
        where = f"Chroma server {settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else settings.persist_dir
        msg = f"cannot open the vector store at {where}: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
        raise StoreError(msg) from e
