"""How many files an ingest embeds and writes together.

Every group costs one Chroma write, one record-manager transaction and one lexical-index commit, and each of
those has a fixed price whatever the group's size (Chroma's local ``upsert``: ~0.1 s a call, then ~1 ms a chunk;
43 chunks a call cost 3.2 ms a chunk, 1,024 chunks 1.0 ms). On a CPU the embedding model takes seconds per group
and that price is a few percent; with the embedding model on a GPU it was most of the ingest. Groups are therefore
sized by time: as many chunks as the last groups embedded and wrote in ``GROUP_SECONDS``, so the price is paid
every couple of seconds whatever the machine, and progress still moves that often.
"""

from __future__ import annotations

GROUP_SECONDS = 2.0
"""The work a group aims at, embedding and writing included."""
MIN_CHUNKS = 64
"""The first group's size, and the smallest (a 2-core CPU embeds ~20 chunks/s: 64 is ~3 s)."""
MAX_CHUNKS = 4096
"""The largest (under Chroma's 5,461 a write; a group's chunks and vectors are held in memory)."""
MAX_FILES = 4096
"""Files a group takes at most (unchanged files add no chunks: a re-ingest of 10,000 of them reports progress
in a few steps, not one)."""


class GroupSizer:
    """Chunks and files the next group takes. ``files`` fixes the files a group takes (the
    ``ingest_group_files`` setting); None sizes groups by time."""

    def __init__(self, files: int | None = None) -> None:
        self.chunks = MIN_CHUNKS if files is None else None
        self.max_files = files or MAX_FILES

    def full(self, files: int, chunks: int) -> bool:
        """Whether a group holding this many files and chunks takes no more."""
        return files >= self.max_files or (self.chunks is not None and chunks >= self.chunks)

    def observe(self, chunks: int, seconds: float) -> None:
        """A group of ``chunks`` new or changed chunks took ``seconds`` to embed and write."""
        if self.chunks is None or chunks == 0:
            return
        rate = chunks / max(seconds, 1e-3)
        # halfway to the new estimate: one slow group (a long scan read in the ingesting process, a busy disk)
        # does not swing the next one
        target = (self.chunks + rate * GROUP_SECONDS) / 2
        self.chunks = int(min(max(target, MIN_CHUNKS), MAX_CHUNKS))
