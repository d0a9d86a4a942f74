"""A PDF's structure beyond its text: its bookmarks become the heading path of its chunks, the running header and
footer that every page repeats are read once, and its cover's title heads its chunks with the file's name."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from kb_assistant.ingestion.loaders import LoadOptions, load_bytes
from kb_assistant.ingestion.pdf_structure import OUTLINE, TITLE
from kb_assistant.ingestion.splitting import TokenCounter, split_documents

PAGES = [
    ["Expenses are claimed within 30 days of the trip.", "Receipts are scanned and attached to the claim."],
    ["Claims above 500 euros need a manager's approval.", "1.2", "Travel",
     "Trains are booked in second class.", "Hotels cost at most 150 euros a night."],
    ["Taxis are paid only after 22:00."],
    ["Chapter 2 Offices", "The main office is in building 7, floor 12.", "Visitors sign in at the desk."],
]


def _handbook(bookmarks: bool) -> bytes:
    """A cover with a large title, then four pages of text under a running header and a page-numbered footer."""
    pdf = pymupdf.open()
    cover = pdf.new_page()
    cover.insert_text((72, 200), "Field Guide", fontsize=40)
    cover.insert_text((72, 260), "Datawhale edition, 2026", fontsize=11)
    cover.insert_text((72, 280), "For employees of ACME and its partners", fontsize=11)
    for number, lines in enumerate(PAGES, start=2):
        page = pdf.new_page()
        page.insert_text((72, 40), "ACME Handbook - internal use only", fontsize=9)
        if number == 2:
            page.insert_text((72, 90), "Chapter 1 Expenses", fontsize=16)
        for i, line in enumerate(lines):
            page.insert_text((72, 130 + 24 * i), line, fontsize=11)
        page.insert_text((72, 800), f"Page {number} of {len(PAGES) + 1}", fontsize=9)
    if bookmarks:
        pdf.set_toc([[1, "Chapter 1 Expenses", 2], [2, "1.2 Travel", 3], [1, "Chapter 2 Offices", 5]])
    data = pdf.tobytes()
    pdf.close()
    return data


def test_bookmarks_are_the_heading_path_and_running_lines_are_read_once(embeddings: object) -> None:
    docs = load_bytes(Path("acme-handbook.pdf"), _handbook(bookmarks=True), LoadOptions())
    text = "\n".join(doc.page_content for doc in docs)
    assert text.count("ACME Handbook - internal use only") == 1  # kept where it first stands
    assert "Page 3 of 5" not in text and "Page 5 of 5" not in text
    by_line = {line: doc.metadata[OUTLINE] for doc in docs for line in doc.page_content.splitlines() if line.strip()}
    assert by_line["Claims above 500 euros need a manager's approval."] == ["Chapter 1 Expenses"]
    assert by_line["Trains are booked in second class."] == ["Chapter 1 Expenses", "1.2 Travel"]
    assert by_line["1.2"] == ["Chapter 1 Expenses", "1.2 Travel"]  # the number set apart from its title goes with it
    assert by_line["Taxis are paid only after 22:00."] == ["Chapter 1 Expenses", "1.2 Travel"]  # a page on
    assert by_line["The main office is in building 7, floor 12."] == ["Chapter 2 Offices"]
    assert {doc.metadata[TITLE] for doc in docs} == {"Field Guide"}

    chunks = split_documents(docs, TokenCounter(embeddings.tokenizer), 200, 20, "acme handbook")  # type: ignore[attr-defined]
    travel = next(c for c in chunks if "second class" in c.page_content)
    assert travel.metadata["headings"] == "Field Guide (acme handbook) > Chapter 1 Expenses > 1.2 Travel"
    assert travel.page_content.startswith(travel.metadata["headings"] + "\n")
    assert all(OUTLINE not in c.metadata and TITLE not in c.metadata for c in chunks)


def test_a_pdf_without_bookmarks_keeps_its_pages_under_its_title() -> None:
    docs = load_bytes(Path("acme-handbook.pdf"), _handbook(bookmarks=False), LoadOptions())
    assert [doc.metadata["page"] for doc in docs] == [1, 2, 3, 4, 5]
    assert all(not doc.metadata.get(OUTLINE) for doc in docs)


@pytest.mark.parametrize(("own", "file", "expected"), [
    ("南瓜书", "pumpkin book", "南瓜书 (pumpkin book)"),
    ("Employee Handbook 2024", "employee handbook", "Employee Handbook 2024"),
    (None, "pumpkin book", "pumpkin book"),
    ("Field Guide", None, "Field Guide"),
])
def test_a_documents_title_joins_its_own_and_its_files(own: str | None, file: str | None, expected: str) -> None:
    from kb_assistant.ingestion.splitting import document_title

    assert document_title(own, file) == expected


def test_spaced_out_cover_letters_and_kangxi_radicals_read_as_the_title() -> None:
    """The pumpkin book's cover sets "南 ⽠ 书" in 66-point type, its middle character the Kangxi radical ⽠ (U+2F60)."""
    from kb_assistant.ingestion.pdf_structure import cover_title

    pdf = pymupdf.open()
    page = pdf.new_page()
    page.insert_text((72, 200), "南  \u2f60  书", fontsize=60, fontname="china-s")
    page.insert_text((72, 300), "Datawhale", fontsize=14)
    page.insert_text((72, 330), "发布日期 2023.03", fontsize=12, fontname="china-s")
    assert cover_title(None, page) == "南瓜书"
    assert cover_title("The Pumpkin Book", page) == "The Pumpkin Book"
    assert cover_title("untitled", pdf.new_page()) is None


def test_an_outline_that_cannot_be_read_costs_the_headings_not_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """A damaged outline (pymupdf raises reading it) leaves the pages as they are, with all their text."""

    def broken(*args: object, **kwargs: object) -> list[list[object]]:
        raise RuntimeError("bad outline")

    monkeypatch.setattr(pymupdf.Document, "get_toc", broken)
    docs = load_bytes(Path("acme-handbook.pdf"), _handbook(bookmarks=True), LoadOptions())
    assert [doc.metadata["page"] for doc in docs] == [1, 2, 3, 4, 5]
    assert any("Trains are booked in second class." in doc.page_content for doc in docs)


def test_a_contents_page_keeps_its_entries_and_loses_its_dotted_leaders() -> None:
    """A contents page is mostly dots (". . . . . . 118"): each run of leaders reads as one "…", so its entries stay
    and no chunk is a run of dots and a page number under the book's title."""
    pdf = pymupdf.open()
    page = pdf.new_page()
    entries = [("1.1 Introduction", 1), ("1.2 Basic terms", 3), ("2.1 Empirical error and overfitting", 23)]
    for i, (entry, number) in enumerate(entries):
        page.insert_text((72, 100 + 20 * i), f"{entry}" + " ." * 40 + f" {number}", fontsize=10)
    data = pdf.tobytes()
    pdf.close()
    text = "\n".join(doc.page_content for doc in load_bytes(Path("book.pdf"), data, LoadOptions()))
    assert ". . . ." not in text
    for entry, number in entries:
        assert f"{entry} … {number}" in text
