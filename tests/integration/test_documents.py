"""Documents as people have them: a scanned page and a photo read by OCR, tables that keep their header in every
chunk, a workbook with two sheets and a merged cell, files with no text skipped rather than failed, and a PDF whose
lines are blocks of their own read in whole sentences."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from kb_assistant.config import Settings
from kb_assistant.ingestion import ingest
from kb_assistant.ingestion.loaders import load_bytes
from kb_assistant.qa.answer_text import split_sentences
from kb_assistant.retrieval import make_retriever
from tests.conftest import shared_path

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # installed by `make browser` with Chromium
MEMO = [
    "第三章 报销与办公",
    "财务总监周明远的办公室在七号楼十二层 1207 室，分机号 8812。",
    "报销单据须在每月 25 日前提交，逾期顺延至下月处理。",
    "差旅住宿标准：一线城市每晚不超过 600 元，其他城市 450 元。",
]
HANT_MEMO = [
    "第三章 報銷與辦公",
    "財務總監周明遠的辦公室在七號樓十二層 1207 室，分機號 8812。",
    "營業部儘管人手不足，仍須於每月 25 日前提交單據，並附上圓形印章。",
    "差旅住宿標準：一線城市每晚不超過 600 元，其他城市 450 元。",
]


def _page_picture(lines: list[str], size: tuple[int, int] = (1654, 2339)) -> bytes:
    """A page as a scanner would give it: black text on white, 200 dpi A4."""
    if not FONT.exists():
        pytest.skip("the CJK font (fonts-wqy-microhei) is not installed; `make browser` installs it")
    font = ImageFont.truetype(str(FONT), 34)
    picture = Image.new("L", size, 255)
    draw = ImageDraw.Draw(picture)
    for i, line in enumerate(lines):
        draw.text((150, 160 + i * 80), line, fill=0, font=font)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def _top(settings: Settings, embeddings: Any, question: str, k: int = 3) -> list[Any]:
    return make_retriever(settings.with_overrides(top_k=k), embeddings).invoke(question)


def test_a_scanned_page_and_a_photo_are_read_by_ocr(tmp_path: Path, settings: Settings, embeddings: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    scan = pymupdf.open()
    scan.new_page().insert_image(pymupdf.Rect(0, 0, 595, 842), stream=_page_picture(MEMO))  # no text layer
    scan.save(str(docs / "memo-scan.pdf"))
    (docs / "whiteboard.png").write_bytes(_page_picture(["On-call rota: Dana Whitfield answers pages within 15 minutes."], (1400, 400)))

    off = ingest([docs], settings.with_overrides(ocr=False), embeddings=embeddings)
    reasons = {o.source: o.reason for o in off.failed}
    assert "ocr = true" in reasons["memo-scan.pdf"] and "ocr = true" in reasons["whiteboard.png"]

    report = ingest([docs], settings, embeddings=embeddings)
    assert report.ok and report.count("added") == 2, report.outcomes
    office = _top(settings, embeddings, "周明远的办公室在哪里？")[0]
    assert office.metadata["source"] == "memo-scan.pdf" and office.metadata["page"] == 1 and office.metadata["ocr"]
    assert "1207" in office.page_content and "七号楼十二层" in office.page_content
    rota = _top(settings, embeddings, "Who answers pages on call?")[0]
    assert rota.metadata["source"] == "whiteboard.png" and "Dana Whitfield" in rota.page_content


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_both_runtimes_of_the_small_ocr_model_read_the_scanned_memo(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb_assistant.ingestion import ocr

    monkeypatch.setattr(ocr, "BACKEND", backend)
    monkeypatch.setattr(ocr, "_ENGINES", {})  # built anew on this runtime; the default ones come back after
    text = ocr.ocr_image(_page_picture(MEMO), model="small")
    engine = ocr._ENGINES["small"]
    stages = (engine.text_det, engine.text_rec)
    assert all(backend.replace("onnxruntime", "OrtInferSession").replace("openvino", "OpenVINOInferSession")
               == type(stage.session).__name__ for stage in stages)
    assert all(fact in text for fact in ("第三章", "周明远", "七号楼十二层", "1207", "8812", "25", "600", "450")), text


def test_a_traditional_chinese_scan_is_read_again_by_the_small_model() -> None:
    from kb_assistant.ingestion import ocr

    # The tiny model lacks many traditional characters (it reads 總監 as 德藍, 儘管 as 体管, 並 as 亚): a page it
    # reads as traditional Chinese is read again by the small model, and so are the document's later pages.
    if not ocr.tiny_available():
        pytest.skip("faster-paddle (the fast-ocr extra) has no wheel for this system")
    reader = ocr.PageReader("auto")
    assert reader.model == "tiny"
    text = reader.read(_page_picture(HANT_MEMO))
    assert all(fact in text for fact in ("財務總監周明遠", "營業部儘管", "並附上圓形印章", "標準", "1207")), text
    assert reader.model == "small"
    simplified = ocr.PageReader("auto")
    assert "七号楼十二层" in simplified.read(_page_picture(MEMO)) and simplified.model == "tiny"


@pytest.mark.parametrize("model", ["auto", "small"])
@pytest.mark.parametrize("quarter_turns", [1, 2, 3])
def test_a_page_scanned_sideways_or_upside_down_is_read_upright(quarter_turns: int, model: str) -> None:
    import numpy as np

    from kb_assistant.ingestion import ocr

    # Feeders scan pages upside down, and landscape pages come sideways: the tiny model (no direction classifier)
    # read such a page as nonsense, the small one turned each line and put an upside-down page's lines last first.
    page = np.asarray(Image.open(io.BytesIO(_page_picture(MEMO))))
    lines = ocr.ocr_image(np.ascontiguousarray(np.rot90(page, k=quarter_turns)), model).splitlines()
    order = [next((i for i, line in enumerate(lines) if fact in line), -1) for fact in ("第三章", "周明远", "逾期顺延", "一线城市")]
    assert order[0] >= 0 and all(a < b for a, b in itertools.pairwise(order)), lines  # each on its own line, in order
    assert "七号楼十二层" in lines[order[1]] and "1207" in lines[order[1]]


def test_a_scanned_page_with_a_stamp_in_its_text_layer_is_still_read_by_ocr() -> None:
    # Scanners and document systems stamp scanned pages with a line of real text (a date, a page or Bates
    # number); that line alone was the page's text and the scan behind it was never read.
    pdf = pymupdf.open()
    page = pdf.new_page()
    page.insert_image(pymupdf.Rect(0, 0, 595, 842), stream=_page_picture(MEMO))
    page.insert_text((40, 20), "Scanned 2024-05-01 by ACME DocuScan 3000, page 1 of 2", fontsize=8)
    photo = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 140, 200)).save(photo, "PNG")
    page = pdf.new_page()  # a digital page: a photo with no text in it, and its caption
    page.insert_image(pymupdf.Rect(50, 50, 545, 700), stream=photo.getvalue())
    page.insert_text((50, 720), "Figure 3: the new office building seen from the east gate.", fontsize=10)
    scan, figure = load_bytes(Path("stamped.pdf"), pdf.tobytes())
    assert scan.metadata["ocr"] and "Scanned 2024-05-01" in scan.page_content
    assert "七号楼十二层" in scan.page_content and "1207" in scan.page_content
    assert figure.page_content.strip() == "Figure 3: the new office building seen from the east gate."
    assert "ocr" not in figure.metadata


def test_a_scan_pasted_into_word_and_a_slide_made_of_a_screenshot_are_read_by_ocr() -> None:
    import docx
    import pptx
    from pptx.util import Inches

    word = docx.Document()
    word.add_picture(io.BytesIO(_page_picture(MEMO)), width=docx.shared.Inches(6))
    saved = io.BytesIO()
    word.save(saved)
    (memo,) = load_bytes(Path("报销制度-扫描件.docx"), saved.getvalue())
    assert memo.metadata["ocr"] and "七号楼十二层" in memo.page_content and "8812" in memo.page_content

    deck = pptx.Presentation()
    screenshot = deck.slides.add_slide(deck.slide_layouts[6])  # blank: the picture is all there is
    rota = _page_picture(["On-call rota: Dana Whitfield answers pages within 15 minutes."], (1400, 400))
    screenshot.shapes.add_picture(io.BytesIO(rota), Inches(1), Inches(1), width=Inches(8))
    titled = deck.slides.add_slide(deck.slide_layouts[5])
    titled.shapes.title.text = "Quarterly results and the plan for next year"
    saved = io.BytesIO()
    deck.save(saved)
    first, second = load_bytes(Path("ops.pptx"), saved.getvalue())
    assert first.metadata["page"] == 1 and first.metadata["ocr"] and "Dana Whitfield" in first.page_content
    assert second.page_content == "Quarterly results and the plan for next year"


def test_a_scanned_table_keeps_its_rows_and_header_in_every_chunk(tmp_path: Path, settings: Settings, embeddings: Any) -> None:
    # Read line by line, a scanned Chinese table ran its cells together ("员工37研发部88372号楼2层"), and no chunk
    # past the first said what its columns were.
    if not FONT.exists():
        pytest.skip("the CJK font (fonts-wqy-microhei) is not installed; `make browser` installs it")
    font = ImageFont.truetype(str(FONT), 30)
    page = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(page)
    draw.text((150, 100), "表 2 各部门分机与工位", fill=0, font=font)
    rows = [("姓名", "部门", "分机", "工位")] + [
        (f"员工{n:02d}", ("财务部", "研发部", "市场部")[n % 3], str(8800 + n), "" if n % 10 == 5 else f"{n % 9 + 1}号楼{n % 12 + 1}层")
        for n in range(1, 41)]  # every tenth desk not yet given: an empty cell
    for r, row in enumerate(rows):
        for x, cell in zip((150, 550, 900, 1200), row, strict=True):
            draw.text((x, 180 + r * 52), cell, fill=0, font=font)
    scan = pymupdf.open()
    picture = io.BytesIO()
    page.save(picture, "PNG")
    scan.new_page().insert_image(pymupdf.Rect(0, 0, 595, 842), stream=picture.getvalue())
    docs = tmp_path / "docs"
    docs.mkdir()
    scan.save(str(docs / "分机表-扫描件.pdf"))
    small = settings.with_overrides(chunk_size=120)  # the table spans several chunks
    report = ingest([docs], small, embeddings=embeddings)
    assert report.ok and report.outcomes[0].chunks >= 3, report.outcomes
    hit = next(d for d in _top(small, embeddings, "员工37的分机是多少？", k=3) if "员工37" in d.page_content)
    assert "| 员工37 | 研发部 | 8837 | 2号楼2层 |" in hit.page_content
    assert "| 姓名 | 部门 | 分机 | 工位 |" in hit.page_content and "员工01" not in hit.page_content
    empty = next(d for d in _top(small, embeddings, "员工35在哪个部门？", k=3) if "员工35" in d.page_content)
    assert "| 员工35 | 市场部 | 8835 |  |" in empty.page_content and "| 姓名 | 部门 | 分机 | 工位 |" in empty.page_content


def test_ocr_without_faster_paddle_reads_every_page_with_the_small_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from kb_assistant.errors import LoaderError
    from kb_assistant.ingestion import ocr

    monkeypatch.setitem(__import__("sys").modules, "faster_paddle", None)  # a system it has no wheel for
    assert ocr.PageReader("auto").model == "small"
    with pytest.raises(LoaderError, match="set ocr_model to one of auto, small"):
        ocr.PageReader("large")


def test_ocr_on_openvino_without_it_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from kb_assistant.errors import LoaderError
    from kb_assistant.ingestion import ocr

    monkeypatch.setitem(__import__("sys").modules, "openvino", None)  # as if it were not installed
    assert ocr.backend_params("auto") == {}  # onnxruntime, quietly
    with pytest.raises(LoaderError, match="pip install openvino"):
        ocr.backend_params("openvino")


def _table_pdf(path: Path, rows: int) -> None:
    """A PDF with a ruled table of ``rows`` rows under a caption, drawn as a report generator would."""
    pdf = pymupdf.open()
    page = pdf.new_page()
    page.insert_text((50, 40), "Table 4: Regional budgets for 2026", fontsize=11)
    columns = ("Region", "Manager", "Budget (kEUR)")
    top, height, widths = 52, 12.5, (120, 180, 120)
    for r in range(rows + 1):
        x = 50
        cells = columns if r == 0 else (f"R{r:02d}", f"Manager {chr(65 + r % 26)}{r}", str(1000 + 37 * r))
        for width, text in zip(widths, cells, strict=True):
            page.draw_rect(pymupdf.Rect(x, top + r * height, x + width, top + (r + 1) * height), color=(0, 0, 0), width=0.5)
            page.insert_text((x + 3, top + (r + 1) * height - 3.5), text, fontsize=8)
            x += width
    pdf.save(str(path))


def test_a_table_keeps_its_header_and_caption_in_every_chunk(tmp_path: Path, settings: Settings, embeddings: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    _table_pdf(docs / "budgets.pdf", 50)
    small = settings.with_overrides(chunk_size=160)  # the table spans several chunks
    report = ingest([docs], small, embeddings=embeddings)
    assert report.ok and report.outcomes[0].chunks >= 3, report.outcomes
    hit = _top(small, embeddings, "What is the budget of region R45?", k=1)[0]
    assert "| R45 |" in hit.page_content and "2665" in hit.page_content
    # The row's chunk still says what each column is and which table it is.
    assert "| Region | Manager | Budget (kEUR) |" in hit.page_content and "Table 4" in hit.page_content


def test_a_workbook_with_two_sheets_and_a_merged_cell(tmp_path: Path, settings: Settings, embeddings: Any) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    staff = workbook.active
    staff.title = "分机表"
    staff.append(["姓名", "部门", "分机"])
    staff.append(["周明远", "财务部", 8812])
    staff.append(["李晓彤", None, 8813])  # the department cell is merged with the one above
    staff.merge_cells("B2:B3")
    staff.append(["王振华", "研发部", "=8800+14"])  # a formula: the saved value is what the sheet shows
    rooms = workbook.create_sheet("会议室")
    rooms.append(["会议室", "楼层", "容纳人数"])
    rooms.append(["星河厅", "12 层", 40])
    path = tmp_path / "通讯录.xlsx"
    workbook.save(path)

    report = ingest([path], settings, embeddings=embeddings)
    assert report.ok, report.outcomes
    hit = _top(settings, embeddings, "李晓彤在哪个部门？分机多少？", k=2)
    chunk = next(d for d in hit if "李晓彤" in d.page_content)
    assert "| 李晓彤 | 财务部 | 8813 |" in chunk.page_content  # the merged cell's value, on its row
    assert chunk.metadata["headings"] == "分机表"
    room = next(d for d in _top(settings, embeddings, "星河厅能坐多少人？") if "星河厅" in d.page_content)
    assert room.metadata["headings"] == "会议室" and "| 星河厅 | 12 层 | 40 |" in room.page_content


def test_files_with_no_text_are_skipped_not_failed(tmp_path: Path, settings: Settings, embeddings: Any) -> None:
    docs = tmp_path / "site"
    docs.mkdir()
    # A docsify site's index.html: a shell whose text is loaded by script at view time.
    (docs / "index.html").write_text(
        '<!DOCTYPE html><html><head><meta charset="UTF-8"><title></title>'
        '<script src="//cdn.jsdelivr.net/npm/docsify@4"></script></head><body><div id="app"></div></body></html>',
        encoding="utf-8",
    )
    (docs / "notes.md").write_text("# Notes\n\nBackups run nightly at 02:00.\n", encoding="utf-8")
    (docs / "guide.html").write_text("<html><body><h1>Guide</h1><p>The service listens on port 6006.</p></body></html>", encoding="utf-8")
    report = ingest([docs], settings, embeddings=embeddings)
    by_source = {o.source: o for o in report.outcomes}
    assert report.ok and by_source["index.html"].status == "skipped" and "no text" in by_source["index.html"].reason
    assert by_source["guide.html"].status == "added"
    # An edit that leaves a file with no text takes its old chunks out of the KB, and the run stays green.
    (docs / "guide.html").write_text("<html><body><div id='app'></div></body></html>", encoding="utf-8")
    again = ingest([docs], settings, embeddings=embeddings)
    assert again.ok and {o.source: o.status for o in again.outcomes}["guide.html"] == "skipped"
    assert all(d.metadata["source"] != "guide.html" for d in _top(settings, embeddings, "Which port does the service listen on?"))


def test_a_pdf_that_prints_each_line_as_a_block_keeps_its_sentences_whole() -> None:
    # The pumpkin book makes every printed line a text block of its own; read as one paragraph a line, its
    # sentences were cut at each line's end, in the chunks, in the quotes and in what the model was given.
    book = shared_path("corpora", "llm_universe_kb", "knowledge_db", "pumkin_book", "pumpkin_book.pdf")
    # the page's pieces (cut at its bookmarks, see pdf_structure) are consecutive slices of its text
    page = "".join(d.page_content for d in load_bytes(book, book.read_bytes()) if d.metadata["page"] == 21)
    sentences = [s for s, _, _ in split_sentences(page)]
    assert ("从“宏”和“微”的计算方式可以看出，“宏”没有考虑每个类别下的的样本数量，所以平等看待每个类别，因此会受到高P 和高R "
            "类别的影响，而“微”则考虑到了每个类别的样本数量，因为样本数量多的类相应的TP、FP、TN、FN 也会占比更多，所以在各类"
            "别样本数量极度不平衡的情况下，数量较多的类别会主导最终结果。") in sentences
    assert "2.3.7 式(2.18) 和式(2.19) 的解释" in page.splitlines()  # a heading's number and words on one line
    assert "\n\n式(2.14) 的macro-F1" in page  # and paragraphs still apart
