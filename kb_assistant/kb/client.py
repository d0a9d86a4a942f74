"""The Chroma client a KB lives in: the persistent store under ``persist_dir``, or a ``chroma run`` server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

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


# --- reading and writing a collection in bounded pieces (the side indexes and the store share these) --------
_PATHS_PER_GET = 100
_IDS_PER_DELETE = 5000


def where_in(field: str, values: list[str]) -> dict[str, Any]:
    """A Chroma ``where`` matching any of ``values`` (Chroma refuses ``$in`` with a single value)."""
    return {field: {"$in": list(values)}} if len(values) > 1 else {field: values[0]}


def get_by_paths(collection: Any, paths: list[str], include: list[str]) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """(``collection.get`` result, the paths asked) for these files' chunks, a bounded group of files at a time."""
    for start in range(0, len(paths), _PATHS_PER_GET):
        group = paths[start : start + _PATHS_PER_GET]
        yield collection.get(where=where_in("path", group), include=include), group


def scan(collection: Any, include: list[str], batch: int) -> Iterator[dict[str, Any]]:
    """Every chunk of the collection, ``batch`` at a time (``include=[]`` for ids only)."""
    offset = 0
    while True:
        got = collection.get(include=include, limit=batch, offset=offset)
        if not got["ids"]:
            return
        yield got
        offset += len(got["ids"])


def delete_ids(collection: Any, ids: list[str]) -> None:
    """Delete these chunks, in requests of bounded size."""
    for start in range(0, len(ids), _IDS_PER_DELETE):
        collection.delete(ids=ids[start : start + _IDS_PER_DELETE])
