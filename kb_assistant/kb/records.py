"""What a KB keeps in ``persist_dir/records.sqlite`` beside Chroma: one row per ingested file, the change log, and
how far each side index has read the log.

The change log is how the side indexes (lexical, English) stay in step with the Chroma collection at a cost that
follows the change, not the KB: every write notes the paths of the files it is about to change *before* it
touches Chroma; a side index keeps the last entry it applied and, to catch up, re-reads only the files noted after
it. A process killed between the two writes leaves the note, so the next sync repairs exactly those files.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from langchain_classic.indexes import SQLRecordManager

_metadata = sa.MetaData()
FILES = sa.Table(
    "kb_files",
    _metadata,
    sa.Column("kb", sa.String, primary_key=True),
    sa.Column("path", sa.String, primary_key=True),  # absolute path: the record manager's group id
    sa.Column("root", sa.String, nullable=False),  # the folder given to `ingest`
    sa.Column("source", sa.String, nullable=False),  # path relative to root, shown to users
    sa.Column("sha256", sa.String, nullable=False),
    sa.Column("chunks", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
CHANGES = sa.Table(
    "kb_changes",
    _metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kb", sa.String, nullable=False, index=True),
    sa.Column("path", sa.String, nullable=False),
    sqlite_autoincrement=True,  # a sequence number is never reused, even after its row is gone
)
APPLIED = sa.Table(
    "kb_applied",
    _metadata,
    sa.Column("kb", sa.String, primary_key=True),
    sa.Column("reader", sa.String, primary_key=True),  # a side index and its version, e.g. "lexical/<tokenizer>"
    sa.Column("seq", sa.Integer, nullable=False),
)


@dataclass(frozen=True)
class FileRecord:
    """What the last successful ingest of one file left in the store."""

    path: str
    root: str
    source: str
    sha256: str
    chunks: int
    updated_at: float


@functools.lru_cache(maxsize=16)
def _engine(database: Path) -> sa.Engine:
    # One engine per records file and process: a KBStore is made per request in the server, and making an
    # engine (and checking the tables) each time is work repeated on every call.
    engine = sa.create_engine(f"sqlite:///{database}", connect_args={"timeout": 60})
    _metadata.create_all(engine)
    return engine


def records_engine(persist_dir: Path) -> sa.Engine:
    """The engine of ``persist_dir/records.sqlite`` (created with its tables on first use)."""
    persist_dir.mkdir(parents=True, exist_ok=True)
    database = (persist_dir / "records.sqlite").resolve()
    fresh = not database.exists()
    engine = _engine(database)
    if fresh:  # a persist folder deleted while this process kept its engine: drop its pooled connections (they
        engine.dispose()  # still read the deleted file) and make the tables again
        _metadata.create_all(engine)
    return engine


def file_summaries(persist_dir: Path) -> dict[str, tuple[int, float | None]]:
    """Files and time of the last update per KB, in one query (for ``list``)."""
    with records_engine(persist_dir).connect() as conn:
        rows = conn.execute(
            sa.select(FILES.c.kb, sa.func.count(), sa.func.max(FILES.c.updated_at)).group_by(FILES.c.kb)
        ).all()
    return {kb: (int(files), last) for kb, files, last in rows}


class IngestRecords:
    """The file records, change log and read positions of one KB (and LangChain's record manager of its chunk
    hashes), in one SQLite file per persist directory."""

    def __init__(self, persist_dir: Path, kb: str, collection: str) -> None:
        self.kb = kb
        self._collection = collection
        self.engine = records_engine(persist_dir)

    # --- files --------------------------------------------------------------------------------
    def files(self) -> dict[str, FileRecord]:
        """The KB's files by absolute path."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(FILES).where(FILES.c.kb == self.kb)).mappings().all()
        return {r["path"]: FileRecord(**{k: v for k, v in r.items() if k != "kb"}) for r in rows}

    def save_files(self, records: list[FileRecord]) -> None:
        """Insert or replace files' records in one transaction."""
        with self.engine.begin() as conn:
            for record in records:
                conn.execute(sa.delete(FILES).where(FILES.c.kb == self.kb, FILES.c.path == record.path))
                conn.execute(sa.insert(FILES).values(kb=self.kb, **record.__dict__))

    def forget_files(self, paths: list[str]) -> None:
        """Delete these files' records."""
        with self.engine.begin() as conn:
            for start in range(0, len(paths), 500):
                conn.execute(sa.delete(FILES).where(FILES.c.kb == self.kb, FILES.c.path.in_(paths[start : start + 500])))

    def record_manager(self) -> SQLRecordManager:
        """LangChain's record manager for this KB's chunk hashes."""
        from langchain_classic.indexes import SQLRecordManager

        manager = SQLRecordManager(f"chroma/{self._collection}", engine=self.engine)
        manager.create_schema()
        return manager

    # --- change log ---------------------------------------------------------------------------
    def note_changes(self, paths: list[str]) -> int:
        """Log that these files are about to change; returns the last sequence number."""
        with self.engine.begin() as conn:
            if paths:
                conn.execute(sa.insert(CHANGES), [{"kb": self.kb, "path": p} for p in paths])
        return self.last_change()

    def last_change(self) -> int:
        """The sequence number of the newest change (0: none)."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(CHANGES.c.seq)).where(CHANGES.c.kb == self.kb)).scalar() or 0)

    def changes_since(self, seq: int) -> tuple[list[str], int]:
        """The distinct paths changed after ``seq``, and the newest sequence number among them (``seq`` if none)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(CHANGES.c.seq, CHANGES.c.path).where(CHANGES.c.kb == self.kb, CHANGES.c.seq > seq)
            ).all()
        return sorted({path for _, path in rows}), max((s for s, _ in rows), default=seq)

    def applied(self, reader: str) -> int | None:
        """How far ``reader`` has applied the log (None: never, so it must be built in full)."""
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(APPLIED.c.seq).where(APPLIED.c.kb == self.kb, APPLIED.c.reader == reader)
            ).scalar()
        return None if value is None else int(value)

    def set_applied(self, reader: str, seq: int | None) -> None:
        """Record ``reader``'s position (None forgets it: the next sync rebuilds that index)."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(APPLIED).where(APPLIED.c.kb == self.kb, APPLIED.c.reader == reader))
            if seq is not None:
                conn.execute(sa.insert(APPLIED).values(kb=self.kb, reader=reader, seq=seq))

    def clear(self) -> None:
        """Forget everything about this KB (with ``drop``)."""
        manager = self.record_manager()
        manager.delete_keys(manager.list_keys())
        with self.engine.begin() as conn:
            for table in (FILES, CHANGES, APPLIED):
                conn.execute(sa.delete(table).where(table.c.kb == self.kb))
