"""The seeded samples ``eval --limit N --offset K`` asks: the next questions of the same sample, never the first ones."""

from __future__ import annotations

import json
from pathlib import Path

from kb_assistant.evaluation import load_dataset


def _dataset(folder: Path, queries: int) -> Path:
    folder.mkdir()
    (folder / "corpus.jsonl").write_text("".join(json.dumps({"id": f"d{i}", "text": f"passage {i}"}) + "\n"
                                                 for i in range(queries)), encoding="utf-8")
    (folder / "queries.jsonl").write_text("".join(json.dumps({"id": f"q{i}", "text": f"question {i}"}) + "\n"
                                                  for i in range(queries)), encoding="utf-8")
    (folder / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(f"q{i}\td{i}\t1\n" for i in range(queries)),
                                      encoding="utf-8")
    return folder


def test_an_offset_sample_is_the_next_part_of_the_same_seeded_sample(tmp_path: Path) -> None:
    folder = _dataset(tmp_path / "set", 50)
    first = [q["id"] for q in load_dataset(folder, 10).queries]
    second = [q["id"] for q in load_dataset(folder, 10, offset=10).queries]
    both = [q["id"] for q in load_dataset(folder, 20).queries]
    assert first == both[:10] and second == both[10:]  # a sample of 10 is the start of the sample of 20
    assert not set(first) & set(second) and len(second) == 10
    # past the end of the set: what is left, in the file's order
    assert [q["id"] for q in load_dataset(folder, 30, offset=40).queries] == [f"q{i}" for i in range(40, 50)]
