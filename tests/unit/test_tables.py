"""Tables as Markdown: tables are found in text with their caption, and spreadsheets in the other formats (.ods
here, .xls by the same reader) are read sheet by sheet."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from kb_assistant.ingestion.loaders import load_bytes
from kb_assistant.ingestion.tables import markdown_table, table_blocks

_ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 office:version="1.2"><office:body><office:spreadsheet>
<table:table table:name="值班表">
<table:table-row><table:table-cell office:value-type="string"><text:p>日期</text:p></table:table-cell>
<table:table-cell office:value-type="string"><text:p>值班人</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>周一</text:p></table:table-cell>
<table:table-cell office:value-type="string" table:number-rows-spanned="2"><text:p>周明远</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>周二</text:p></table:table-cell>
<table:covered-table-cell/></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"""


def _ods() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "".join(line.strip() + " " * line.startswith(" ") for line in _ODS_CONTENT.splitlines()))
        archive.writestr("META-INF/manifest.xml", """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>""")
    return out.getvalue()


def test_an_ods_sheet_becomes_a_section_holding_its_table() -> None:
    (doc,) = load_bytes(Path("duty.ods"), _ods())
    assert doc.page_content.startswith("# 值班表")
    assert "| 日期 | 值班人 |" in doc.page_content and "| 周一 | 周明远 |" in doc.page_content
    # calamine reports no merged ranges for .ods: the covered cell stays empty (filled for .xlsx and .xls)
    assert "| 周二 |" in doc.page_content


def test_tables_are_found_in_text_with_their_caption() -> None:
    table = markdown_table([["Room", "Floor"], ["1207", 12.0], [None, None], ["a|b", "\n x "]])
    assert table.splitlines() == ["| Room | Floor |", "|---|---|", "| 1207 | 12 |", "| a\\|b | x |"]
    parts = list(table_blocks(f"Intro line.\nTable 2: Rooms\n{table}\nAfter the table.\n"))
    assert [kind for kind, _, _ in parts] == ["text", "table", "text"]
    assert parts[1][2] == "Table 2: Rooms" and parts[1][1].startswith("| Room | Floor |")
