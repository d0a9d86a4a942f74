"""How many files an ingest embeds and writes together (kb_assistant.ingestion.grouping)."""

from __future__ import annotations

from kb_assistant.ingestion.grouping import MAX_CHUNKS, MAX_FILES, MIN_CHUNKS, GroupSizer


def _settle(sizer: GroupSizer, seconds_per_chunk: float, fixed: float, groups: int = 12) -> int:
    """Sizes of successive groups on a machine whose group takes ``fixed + chunks * seconds_per_chunk``."""
    for _ in range(groups):
        chunks = sizer.chunks or 0
        sizer.observe(chunks, fixed + chunks * seconds_per_chunk)
    return sizer.chunks or 0


def test_a_set_file_count_decides_alone() -> None:
    sizer = GroupSizer(files=2)
    assert not sizer.full(1, 10_000)
    assert sizer.full(2, 0)
    sizer.observe(10, 0.001)
    assert not sizer.full(1, 10_000)


def test_groups_grow_to_about_two_seconds_of_work_where_embedding_is_fast() -> None:
    # a GPU embedder: 0.15 s a group whatever its size (Chroma, records, lexical commit), then 1 ms a chunk
    sizer = GroupSizer()
    assert sizer.full(1, MIN_CHUNKS) and not sizer.full(1, MIN_CHUNKS - 1)
    settled = _settle(sizer, 0.001, 0.15)
    assert 1500 <= settled <= 2000  # ~1.85 s of chunks, the fixed part now under a tenth
    assert not sizer.full(MAX_FILES - 1, settled - 1) and sizer.full(MAX_FILES, 0)


def test_groups_stay_small_where_embedding_is_slow() -> None:
    # two CPU cores: 50 ms a chunk; a group of 64 already takes 3 s, so progress still moves every few seconds
    assert _settle(GroupSizer(), 0.05, 0.15) == MIN_CHUNKS


def test_group_size_is_capped_and_one_slow_group_does_not_collapse_it() -> None:
    sizer = GroupSizer()
    assert _settle(sizer, 1e-6, 0.0) == MAX_CHUNKS
    sizer.observe(MAX_CHUNKS, 60.0)  # a long scan OCR'd in the ingesting process, a busy disk
    assert sizer.chunks is not None and sizer.chunks >= MAX_CHUNKS // 2


def test_groups_of_unchanged_files_tell_nothing_about_speed() -> None:
    sizer = GroupSizer()
    sizer.observe(0, 5.0)
    assert sizer.chunks == MIN_CHUNKS
