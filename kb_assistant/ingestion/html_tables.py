"""HTML tables as plain grids: merged cells filled in, header rows joined into one, title rows set apart.

Admission score tables, price lists and timetables on real web pages merge cells: a header "提前批录取线" spans the
"文科" and "理科" columns of the row below it, a province's single score spans both, a "省份" header spans two rows.
Read cell by cell, every row after a merged cell shifts left and the scores land under the wrong columns. Here each
table becomes a grid as a browser lays it out (``rowspan`` / ``colspan`` honoured, 0 meaning "to the end"), the
header rows become one row whose cells name every level ("提前批录取线 文科"), a merged cell's value stands in each
column it covers, and a first row that spans the whole table is its title, not its header.
"""

from __future__ import annotations

import re
from typing import Any

from kb_assistant.ingestion.tables import markdown_table

MAX_SPAN = 1000
"""The most columns a cell may span (the HTML standard's own limit for colspan); rows: the table's own rows."""
MAX_CELLS = 200_000
"""Grid cells a table may fill by its merged cells; past it, a cell fills only its own place (a hostile page of
2,000 rows spanning 1,000 columns each would otherwise make two million)."""
MAX_GRID = 2_000_000
"""Rows times columns of a table's grid; a wider and longer one is read without its merged cells."""
MAX_REPEATED = 1_000_000
"""Characters a table's merged cells may add by standing in every place they cover; past it, a merged cell's text
is written once (at its first place)."""
_NUMBER = re.compile(r"^[\d\s.,%:/+\-–~()（）]+$")


def _span(cell: Any, name: str, limit: int) -> int:
    try:
        value = int(str(cell.get(name, "1")).strip() or "1")
    except ValueError:
        return 1
    return limit if value <= 0 and name == "rowspan" else max(1, min(value, limit))


def _own_rows(table: Any) -> list[list[Any]]:
    """The cells of each row of ``table`` itself (rows and cells of tables nested in its cells left out)."""
    rows = []
    for child in table.find_all(["tr", "thead", "tbody", "tfoot"], recursive=False):
        for tr in [child] if child.name == "tr" else child.find_all("tr", recursive=False):
            rows.append(tr.find_all(["td", "th"], recursive=False))
    return [row for row in rows if row]


def _layout(rows: list[list[Any]], spans: bool = True) -> tuple[list[list[str]], list[list[bool]], int]:
    """(grid of texts, whether each grid cell repeats a merged cell's value, width) as a browser places the cells;
    without ``spans`` (a grid past :data:`MAX_GRID`), each cell in its own place, as the markup lists them."""
    placed: dict[tuple[int, int], tuple[str, bool]] = {}
    repeated = 0
    for r, cells in enumerate(rows):
        c = 0
        for cell in cells:
            while (r, c) in placed:
                c += 1
            text = cell.get_text(" ", strip=True)
            rowspan = _span(cell, "rowspan", len(rows) - r)
            colspan = _span(cell, "colspan", MAX_SPAN)
            if not spans or len(placed) + rowspan * colspan > MAX_CELLS:
                rowspan = colspan = 1
            copies = rowspan * colspan - 1
            copy = text if repeated + copies * len(text) <= MAX_REPEATED else ""
            repeated += copies * len(copy)
            for dr in range(rowspan):
                for dc in range(colspan):
                    placed[(r + dr, c + dc)] = (copy if dr or dc else text, dr > 0 or dc > 0)
            c += colspan
    width = max((c + 1 for _, c in placed), default=0)
    if spans and len(rows) * width > MAX_GRID:
        return _layout(rows, spans=False)
    grid = [[placed.get((r, c), ("", False))[0] for c in range(width)] for r in range(len(rows))]
    copies = [[placed.get((r, c), ("", False))[1] for c in range(width)] for r in range(len(rows))]
    return grid, copies, width


def _header_depth(table: Any, rows: list[list[Any]]) -> int:
    """How many of the first rows are the header: those of <thead>, else the leading rows of <th> only, else the
    first row and the rows its tallest cell spans (plus the row under a header that groups columns, where that row
    holds no numbers)."""
    head = table.find("thead")
    if head is not None and head.find_parent("table") is table:
        in_head = sum(1 for row in rows if row[0].find_parent("thead") is head)
        if in_head:
            return in_head
    leading = 0
    for row in rows:
        if not all(cell.name == "th" for cell in row):
            break
        leading += 1
    if leading:
        return min(leading, len(rows))
    depth = max(_span(cell, "rowspan", len(rows)) for cell in rows[0])
    if depth == 1 and len(rows) > 1 and any(_span(cell, "colspan", MAX_SPAN) > 1 for cell in rows[0]):
        below = [cell.get_text(" ", strip=True) for cell in rows[1]]
        if all(text and not _NUMBER.match(text) for text in below):
            depth = 2
    return depth


def table_parts(table: Any) -> tuple[list[str], list[list[str]]]:
    """(title lines, rows) of an HTML ``<table>``: the rows as a grid whose first row is the joined header."""
    rows = _own_rows(table)
    caption = table.find("caption")
    titles = [caption.get_text(" ", strip=True)] if caption is not None and caption.find_parent("table") is table else []
    titles = [title for title in titles if title]
    while len(rows) > 1 and len(rows[0]) == 1 and _span(rows[0][0], "rowspan", 1) == 1:
        cells_below = sum(_span(cell, "colspan", MAX_SPAN) for cell in rows[1])
        if _span(rows[0][0], "colspan", MAX_SPAN) < cells_below or cells_below == 1:
            break
        text = rows.pop(0)[0].get_text(" ", strip=True)
        if text:
            titles.append(text)
    if not rows:
        return titles, []
    depth = _header_depth(table, rows)
    grid, copies, width = _layout(rows)
    header = []
    for c in range(width):
        levels: list[str] = []
        for r in range(depth):
            if grid[r][c] and (not levels or levels[-1] != grid[r][c]):
                levels.append(grid[r][c])
        header.append(" ".join(levels))
    body = []
    for r in range(depth, len(grid)):
        row = grid[r]
        # A cell across the whole row is a section title: once, not in every column.
        if width > 1 and all(copies[r][1:]) and row[0] and all(text == row[0] for text in row):
            row = [row[0]] + [""] * (width - 1)
        body.append(row)
    return titles, [header, *body]


def table_markdown(table: Any) -> str:
    """An HTML ``<table>`` as Markdown: its title lines, then the table with one header row."""
    titles, rows = table_parts(table)
    markdown = markdown_table(rows) if rows else ""
    return "\n\n".join([*titles, markdown] if markdown else titles)


LAYOUT_CELL = 2000
"""Characters of a cell past which its table lays out a page (or a section of it) rather than holding data."""


def is_layout(table: Any) -> bool:
    """Whether ``table`` lays out a page rather than holding data: it holds another table or a heading, or a cell
    of more than :data:`LAYOUT_CELL` characters (sites built before CSS put their whole content in one)."""
    if table.find(["table", "h1", "h2", "h3", "h4", "h5", "h6"]) is not None:
        return True
    return any(len(cell.get_text(" ", strip=True)) > LAYOUT_CELL for cell in table.find_all(["td", "th"]))


def simplify_tables(soup: Any) -> None:
    """Replace every data table of a parsed page with one that has no merged cells and a single <thead> row of
    <th>, its title rows as paragraphs before it, so that a main-content extractor writes each as a Markdown
    table with its header rule (it writes a header cell spanning two columns once, and the rows below under the
    wrong columns). Tables that lay the page out (:func:`is_layout`) are left to the extractor."""
    for table in [table for table in soup.find_all("table") if not is_layout(table)]:
        titles, rows = table_parts(table)
        replacement = []
        for title in titles:
            paragraph = soup.new_tag("p")
            paragraph.string = title
            replacement.append(paragraph)
        if rows:
            plain = soup.new_tag("table")
            for part, cell_name, part_rows in (("thead", "th", rows[:1]), ("tbody", "td", rows[1:])):
                section = soup.new_tag(part)
                for row in part_rows:
                    tr = soup.new_tag("tr")
                    for text in row:
                        cell = soup.new_tag(cell_name)
                        cell.string = text
                        tr.append(cell)
                    section.append(tr)
                plain.append(section)
            replacement.append(plain)
        if not replacement:
            table.decompose()
            continue
        table.replace_with(*replacement)
