"""One knowledge base and everything it keeps (the layer between ingestion and retrieval).

- ``store``: ``KBStore``, the one owner: writes, removals, syncs, searches, chunks by id, a freshness stamp;
- ``client``: the Chroma client (local folder or ``chroma run`` server);
- ``records``: file records, the change log and each side index's read position (SQLite);
- ``lexical``: BM25 in tantivy over our tokens (``tokens``); ``english``: the English companion index;
- ``catalog``: the KBs of a store; ``reference_bm25``: the old in-Python BM25, kept for comparisons.
"""

from kb_assistant.kb.catalog import KBInfo, list_kbs
from kb_assistant.kb.client import collection_name, open_client
from kb_assistant.kb.records import FileRecord
from kb_assistant.kb.store import KBStore

__all__ = ["FileRecord", "KBInfo", "KBStore", "collection_name", "list_kbs", "open_client"]
