"""A question about two things gets a passage for each in its top results (real KB, real embedding model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kb_assistant.config import Settings
from kb_assistant.ingestion import ingest
from kb_assistant.retrieval import make_retriever

DOCS = {
    "north-2021.md": "# 北岭市2021年经济\n\n2021年北岭市地区生产总值增长6.4%，服务业占比继续提高。",
    "north-2020.md": "# 北岭市2020年经济\n\n2020年北岭市地区生产总值增长2.1%，北岭市的经济增长率低于上年。",
    "north-2022.md": "# 北岭市2022年经济\n\n2022年北岭市经济增长率为3.3%，北岭市地区生产总值首次突破万亿。",
    "north-people.md": "# 北岭市人口\n\n2021年北岭市常住人口为812万人，北岭市经济增长带动人口流入。",
    "north-2019.md": "# 北岭市2019年经济\n\n2019年北岭市经济增长率为5.0%，北岭市的经济增长率连续三年高于全国。",
    "south-2021.md": "# 南湾市概况\n\n南湾市以旅游业为主。2021年南湾市地区生产总值增长18%，增速居全省第一。",
}


def test_both_parts_of_a_question_are_covered(tmp_path: Path, settings: Settings, embeddings: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    assert ingest([docs], settings, embeddings=embeddings).ok
    question = "2021年北岭市和南湾市的经济增长率分别是多少？"
    split = make_retriever(settings.with_overrides(top_k=2), embeddings).invoke(question)
    sources = [d.metadata["source"] for d in split]
    assert "south-2021.md" in sources and any(s.startswith("north-") for s in sources)
    assert any(d.metadata.get("sub_query") == "2021年南湾市的经济增长率是多少" for d in split)
    whole = make_retriever(settings.with_overrides(top_k=2, decompose_questions=False), embeddings).invoke(question)
    assert not any("sub_query" in d.metadata for d in whole)  # switched off: one search, as before
