"""Tables as Markdown, so that a chunk holding row 37 still says what each column is.

Loaders write every table they find (CSV/TSV, spreadsheet sheets, Word, PowerPoint, HTML and PDF tables) as a
Markdown table under a heading or caption that names it. The splitter recognises Markdown tables in any text
(``table_blocks``) and cuts a long one between rows, repeating its header row in every chunk; the chunk's
heading path names the table.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from kb_assistant.errors import LoaderError

_CAPTION_CHARS = 80
_MIN_RULE = 8  # points: shorter strokes are glyph parts, not table rules
_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip().replace("|", "\\|")


def markdown_table(rows: Iterable[Iterable[Any]]) -> str:
    """Rows (the first is the header) as a Markdown table; empty rows and columns are dropped, short rows padded."""
    grid = [[_cell(v) for v in row] for row in rows]
    grid = [row for row in grid if any(row)]
    if not grid:
        return ""
    width = max(len(row) for row in grid)
    grid = [row + [""] * (width - len(row)) for row in grid]
    keep = [c for c in range(width) if any(row[c] for row in grid)]
    grid = [[row[c] for c in keep] for row in grid]
    header = [h or f"column {i + 1}" for i, h in enumerate(grid[0])]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in grid[1:]]
    return "\n".join(lines)


def table_blocks(text: str) -> Iterator[tuple[str, str, str]]:
    """Split text into ("text", prose, "") and ("table", markdown table, caption) parts, in order. A table is a
    header line starting with "|", a separator line (|---|) and its row lines; its caption is the short line
    just before it ("表 3 各部门分机", "Table 2: ..."), if any."""
    lines = text.splitlines(keepends=True)
    prose: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i].lstrip().startswith("|") and i + 1 < len(lines) and _SEPARATOR.match(lines[i + 1]):
            j = i + 2
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                j += 1
            before = [line.strip() for line in prose if line.strip()]
            caption = before[-1] if before and len(before[-1]) <= _CAPTION_CHARS else ""
            if "".join(prose).strip():
                yield "text", "".join(prose), ""
            prose = []
            yield "table", "".join(lines[i:j]), caption
            i = j
        else:
            prose.append(lines[i])
            i += 1
    if "".join(prose).strip():
        yield "text", "".join(prose), ""


def read_delimited(text: str, suffix: str) -> str:
    """A CSV or TSV file as one Markdown table."""
    import csv

    try:
        rows = list(csv.reader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ","))
    except csv.Error as e:
        msg = f"malformed {suffix} ({e})"
        raise LoaderError(msg) from e
    return markdown_table(rows)


def read_workbook(path: Path, data: bytes) -> list[tuple[str, str]]:
    """(sheet name, Markdown table) per non-empty sheet of an .xlsx/.xlsm workbook: merged cells are filled with
    their value, formulas give the value the spreadsheet saved."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as e:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        msg = f"not a readable {path.suffix} workbook ({type(e).__name__}); re-save it from Excel or LibreOffice"
        raise LoaderError(msg) from e
    sheets = []
    for sheet in workbook.worksheets:
        grid = [list(row) for row in sheet.iter_rows(values_only=True)]
        for merged in sheet.merged_cells.ranges:
            value = sheet.cell(merged.min_row, merged.min_col).value
            for r in range(merged.min_row, merged.max_row + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    if r - 1 < len(grid) and c - 1 < len(grid[r - 1]):
                        grid[r - 1][c - 1] = value
        table = markdown_table(grid)
        if table:
            sheets.append((sheet.title, table))
    return sheets


def _looks_ruled(page: Any) -> bool:
    """Whether the page draws a grid (3+ horizontal and 3+ vertical rules): PyMuPDF's table finder costs about
    0.25 s a page, so it runs only where a ruled table can be (7 of the 196 pages of a formula-heavy textbook;
    fraction bars and a boxed formula do not count)."""
    import pymupdf

    rows: set[int] = set()
    columns: set[int] = set()
    for path in page.get_cdrawings():
        for item in path.get("items", ()):
            if item[0] == "l":
                (x0, y0), (x1, y1) = item[1], item[2]
                if abs(y0 - y1) < 1 and abs(x1 - x0) >= _MIN_RULE:
                    rows.add(round(y0))
                elif abs(x0 - x1) < 1 and abs(y1 - y0) >= _MIN_RULE:
                    columns.add(round(x0))
            elif item[0] == "re":
                box = pymupdf.Rect(item[1])
                if box.height < 2 <= _MIN_RULE <= box.width:  # a rule drawn as a thin rectangle
                    rows.add(round(box.y0))
                elif box.width < 2 <= _MIN_RULE <= box.height:
                    columns.add(round(box.x0))
                elif box.width >= _MIN_RULE and box.height >= _MIN_RULE:  # a cell
                    rows.update((round(box.y0), round(box.y1)))
                    columns.update((round(box.x0), round(box.x1)))
        if len(rows) >= 3 and len(columns) >= 3:
            return True
    return False


def read_legacy_workbook(path: Path, data: bytes) -> list[tuple[str, str]]:
    """(sheet name, Markdown table) per non-empty sheet of an .xls or .ods workbook (calamine, in Rust): formulas
    as their saved values, merged cells filled where the reader reports them (.xls; not .ods)."""
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as e:  # CalamineError, ZipError, XmlError, PasswordError ...
        msg = f"not a readable {path.suffix} workbook ({type(e).__name__}); re-save it from Excel or LibreOffice"
        raise LoaderError(msg) from e
    sheets = []
    for name in workbook.sheet_names:
        sheet = workbook.get_sheet_by_name(name)
        grid = [list(row) for row in sheet.to_python()]
        top, left = sheet.start or (0, 0)
        for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []:
            r0, r1, c0, c1 = r0 - top, r1 - top, c0 - left, c1 - left
            if not (0 <= r0 < len(grid) and 0 <= c0 < len(grid[r0])):
                continue
            value = grid[r0][c0]
            for r in range(r0, min(r1 + 1, len(grid))):
                for c in range(c0, min(c1 + 1, len(grid[r]))):
                    grid[r][c] = value
        table = markdown_table(grid)
        if table:
            sheets.append((name, table))
    return sheets


def _visual_lines(block: dict[str, Any]) -> list[tuple[float, float, str]]:
    """A text block's lines as printed: PyMuPDF's lines that sit beside each other (a heading's number and its
    words) joined with a space; (top, bottom, text) each."""
    lines: list[tuple[float, float, str]] = []
    for line in block.get("lines", []):
        text = "".join(span.get("text", "") for span in line.get("spans", [])).strip()
        if not text:
            continue
        top, bottom = line["bbox"][1], line["bbox"][3]
        if lines and top < lines[-1][1] - 0.5 * (lines[-1][1] - lines[-1][0]):
            lines[-1] = (lines[-1][0], max(lines[-1][1], bottom), f"{lines[-1][2]} {text}")
        else:
            lines.append((top, bottom, text))
    return lines


def _paragraphs_text(blocks: list[dict[str, Any]]) -> str:
    """Text blocks in reading order, a blank line between paragraphs. Some PDFs make every printed line a block
    of its own (the pumpkin book does), which read as one paragraph a line, so a sentence was cut at each line's
    end: a one-line block as wide as the next block goes on in it when that starts within a line's height below."""
    out: list[str] = []
    previous: list[tuple[float, float, str]] = []
    previous_right = 0.0
    for block in blocks:
        lines = _visual_lines(block) if block.get("type") == 0 else []
        if not lines:
            continue
        left, right = block["bbox"][0], block["bbox"][2]
        if previous:
            top, (last_top, last_bottom, _) = lines[0][0], previous[-1]
            height = last_bottom - last_top
            if abs(top - last_top) < 0.5 * height:  # beside the previous block's last line (not a column beside it)
                out.append(" ")
            elif len(previous) == 1 and top - last_bottom < height and previous_right >= right - 0.1 * (right - left):
                out.append("\n")  # a full line (not a heading) with the next line just below it
            else:
                out.append("\n\n")
        out.append("\n".join(line[2] for line in lines))
        previous, previous_right = lines, right
    return "".join(out) + "\n" if out else ""


def pdf_page_text(page: Any) -> str:
    """A PDF page's text in reading order with each ruled table written as a Markdown table in its place (the
    words inside a table's box are not repeated as loose text)."""
    import pymupdf

    tables = []
    if _looks_ruled(page):
        try:
            tables = page.find_tables().tables
        except Exception:  # noqa: BLE001 - a table finder failure must not cost the page its text
            tables = []
    if not tables:
        # the plain-text flags: "dict" would otherwise carry every picture's bytes
        return _paragraphs_text(page.get_text("dict", sort=True, flags=pymupdf.TEXTFLAGS_TEXT)["blocks"])
    boxes = [pymupdf.Rect(t.bbox) for t in tables]
    parts: list[tuple[float, str]] = []
    for x0, y0, x1, y1, text, _, kind in page.get_text("blocks", sort=True):
        block = pymupdf.Rect(x0, y0, x1, y1)
        if kind != 0 or any((block & box).get_area() > 0.5 * max(block.get_area(), 1e-6) for box in boxes):
            continue
        parts.append((y0, text.strip()))
    words = page.get_text("words", sort=True) if tables else []
    for table, box in zip(tables, boxes, strict=True):
        # Each cell's words by position (``Table.extract`` drops the spaces between words of small print;
        # a text lookup per cell costs a page extraction each).
        rows = [[_words_in(words, cell) for cell in row.cells] for row in table.rows]
        if table.header.external:
            rows.insert(0, list(table.header.names))
        markdown = markdown_table(rows)
        if markdown:
            parts.append((box.y0, f"\n{markdown}\n"))
    return "\n".join(text for _, text in sorted(parts, key=lambda part: part[0]))


def _words_in(words: list[Any], cell: Any) -> str:
    """The words whose centre lies in ``cell`` (x0, y0, x1, y1), in reading order; "" for a merged-away cell."""
    if not cell:
        return ""
    x0, y0, x1, y1 = cell
    return " ".join(
        w[4] for w in words if x0 <= (w[0] + w[2]) / 2 <= x1 and y0 <= (w[1] + w[3]) / 2 <= y1
    )
