"""HTML tables with merged cells read as a browser lays them out."""

from __future__ import annotations

from bs4 import BeautifulSoup

from kb_assistant.ingestion.html_tables import (
    MAX_REPEATED,
    MAX_SPAN,
    simplify_tables,
    table_markdown,
    table_parts,
)


def _parts(html: str) -> tuple[list[str], list[list[str]]]:
    return table_parts(BeautifulSoup(html, "lxml").find("table"))


def test_a_title_row_is_set_apart_and_a_rowspan_fills_the_rows_below() -> None:
    titles, rows = _parts(
        "<table><tr><td colspan='3'>2014年招生计划</td></tr>"
        "<tr><td>专业</td><td>方向</td><td>学制</td></tr>"
        "<tr><td rowspan='2'>音乐表演</td><td>钢琴</td><td>四年</td></tr>"
        "<tr><td>声乐</td><td>五年</td></tr>"
        "<tr><td colspan='3'>说明：不分省</td></tr></table>")
    assert titles == ["2014年招生计划"]
    assert rows == [["专业", "方向", "学制"], ["音乐表演", "钢琴", "四年"], ["音乐表演", "声乐", "五年"],
                    ["说明：不分省", "", ""]]  # a row-wide note once, not three times


def test_a_header_grouping_columns_joins_its_levels() -> None:
    _, rows = _parts("<table><tr><th>省份</th><th colspan='2'>一批</th></tr><tr><th></th><th>文科</th><th>理科</th></tr>"
                     "<tr><td>河北</td><td>657</td><td>690</td></tr></table>")
    assert rows == [["省份", "一批 文科", "一批 理科"], ["河北", "657", "690"]]


def test_hostile_spans_are_bounded_and_nested_tables_stay_in_their_cell() -> None:
    _, rows = _parts("<table><tr><th>a</th><th colspan='99999999'>b</th></tr>"
                     "<tr><td rowspan='0'>c</td><td>d</td></tr><tr><td>e</td></tr>"
                     "<tr><td><table><tr><td>inner</td></tr></table></td><td colspan='x'>f</td></tr></table>")
    assert len(rows[0]) == 1 + MAX_SPAN and rows[0][:3] == ["a", "b", "b"]
    assert [row[:3] for row in rows[1:]] == [["c", "d", ""], ["c", "e", ""], ["c", "inner", "f"]]  # rowspan=0: to the end


def test_simplified_tables_have_one_header_row_and_no_merged_cells() -> None:
    soup = BeautifulSoup("<p>x</p><table><caption>表 1</caption><tr><td rowspan='2'>省份</td><td colspan='2'>一批</td>"
                         "</tr><tr><td>文科</td><td>理科</td></tr><tr><td>河北</td><td colspan='2'>690</td></tr></table>",
                         "lxml")
    simplify_tables(soup)
    assert soup.find("p", string="表 1") is not None
    assert [th.get_text() for th in soup.select("thead th")] == ["省份", "一批 文科", "一批 理科"]
    assert [td.get_text() for td in soup.select("tbody td")] == ["河北", "690", "690"]
    assert soup.find(attrs={"colspan": True}) is None and soup.find(attrs={"rowspan": True}) is None


def test_a_table_that_lays_out_the_page_is_left_whole_and_its_data_table_is_simplified() -> None:
    soup = BeautifulSoup("<table><tr><td><h2>通知</h2><p>第一段。</p><p>第二段。</p>"
                         "<table><tr><th>省份</th><th>分数</th></tr><tr><td>河北</td><td rowspan='2'>600</td></tr>"
                         "<tr><td>河南</td></tr></table>"
                         "</td></tr></table>", "lxml")
    simplify_tables(soup)
    outer = soup.find("table")
    assert outer.find("h2") is not None and len(outer.find_all("p")) == 2  # the page's paragraphs stay paragraphs
    assert [th.get_text() for th in outer.select("thead th")] == ["省份", "分数"]
    assert [td.get_text() for td in outer.select("tbody td")] == ["河北", "600", "河南", "600"]


def test_a_page_of_huge_merged_cells_gives_a_bounded_table() -> None:
    # 2,000 rows each spanning 1,000 columns with 300 characters: filled in, 600 MB of Markdown from 600 KB of page
    page = "<table>" + "".join(f"<tr><td>r{i}</td><td colspan='1000'>{'x' * 300}</td></tr>" for i in range(2000))
    markdown = table_markdown(BeautifulSoup(page + "</table>", "lxml").find("table"))
    assert "| r1999 |" in markdown and len(markdown) < 2 * MAX_REPEATED + 2000 * 320
    # a first row 1,000 columns wide over 20,000 rows of two: read without its merged cells, not as 20 million
    long = "<table><tr><td colspan='1000'>a</td><td>b</td></tr>" + "".join(
        f"<tr><td>r{i}</td><td>v</td></tr>" for i in range(20000))
    rows = table_parts(BeautifulSoup(long + "</table>", "lxml").find("table"))[1]
    assert len(rows) >= 20000 and max(len(row) for row in rows) == 2
