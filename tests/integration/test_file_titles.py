"""Heading-less files are found by what their names say: three years of the same brochure, whose text never names
its year, each answer a question about their own year."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kb_assistant.config import Settings
from kb_assistant.ingestion import ingest
from kb_assistant.retrieval import make_retriever

BROCHURE = "本科生报名须知。报名截止日期为{deadline}，逾期不再受理。学费每学年{fee}元，住宿费另计。"


def test_the_year_in_a_file_name_picks_that_years_brochure(tmp_path: Path, settings: Settings, embeddings: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    years = {"2019": ("六月十日", "5000"), "2020": ("六月十五日", "5200"), "2021": ("六月二十日", "5500")}
    for year, (deadline, fee) in years.items():
        (docs / f"{year}年本科招生简章.txt").write_text(BROCHURE.format(deadline=deadline, fee=fee), encoding="utf-8")
    (docs / "scan0001.txt").write_text("图书馆周一至周五开放，周末闭馆。", encoding="utf-8")
    assert ingest([docs], settings, embeddings=embeddings).ok
    retriever = make_retriever(settings.with_overrides(top_k=2), embeddings)

    for year, (deadline, _) in years.items():  # without the titles, the three rank alike for every year
        top = retriever.invoke(f"{year}年本科招生的报名截止日期是哪天？")[0]
        assert top.metadata["source"] == f"{year}年本科招生简章.txt"
        assert top.page_content.startswith(f"{year}年本科招生简章\n") and deadline in top.page_content
    library = retriever.invoke("图书馆周末开放吗？")[0]
    assert library.page_content == "图书馆周一至周五开放，周末闭馆。"  # a name that says nothing adds nothing


def test_file_titles_can_be_switched_off(tmp_path: Path, settings: Settings, embeddings: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "2021年本科招生简章.txt").write_text(BROCHURE.format(deadline="六月二十日", fee="5500"), encoding="utf-8")
    off = settings.with_overrides(file_titles=False)
    assert ingest([docs], off, embeddings=embeddings).ok
    [chunk] = make_retriever(off.with_overrides(top_k=1), embeddings).invoke("报名截止日期")
    assert chunk.page_content.startswith("本科生报名须知。")
