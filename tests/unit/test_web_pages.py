"""Saved web pages keep their content and lose their menus (real pages of ../shared's DomainRAG site)."""

from __future__ import annotations

from pathlib import Path

from kb_assistant.ingestion.loaders import LoadOptions, load_bytes
from tests.conftest import shared_path

MENU = "特殊类型招生"  # an item of the site's menu, on every page twice


def _read(name: str, main_content: bool = True) -> tuple[str, dict]:
    page = shared_path("corpora", "domainrag_html", name)
    docs = load_bytes(page, page.read_bytes(), LoadOptions(html_main_content=main_content))
    return "\n".join(d.page_content for d in docs), docs[0].metadata


def test_a_page_keeps_its_heading_and_table_and_drops_the_menus() -> None:
    text, metadata = _read("page-001.html")
    assert MENU not in text
    assert text.startswith("# 2022年河北省录取分数线")  # the page's <h1>: every chunk's heading path
    assert metadata["title"] == "2022年河北省录取分数线" and metadata["content"] == "main"
    assert "| 专业名称 | 文史/历史类 最高 |" in text and "| 法学 | 656 | 652 | 666 | 666 |" in text
    whole, _ = _read("page-001.html", main_content=False)
    assert whole.count(MENU) == 2 and "| 法学 | 656 | 652 | 666 | 666 |" in whole


def test_where_extraction_would_lose_the_table_the_page_stays_whole_without_its_link_lists() -> None:
    text, metadata = _read("page-070.html")  # trafilatura flattens this page's table
    assert "content" not in metadata
    assert MENU not in text and "人大新闻网" not in text  # the menus and the footer's link list
    assert "| 1 | 安庆市第一中学 |" in text and "2014年“圆梦计划”推荐资格中学名单(安徽)" in text


def test_fragments_and_bare_documents_are_read_whole(tmp_path: Path) -> None:
    fragment = tmp_path / "note.html"
    fragment.write_text("<h2>部署</h2><p>服务监听 6006 端口。</p><ul><li><a href='a'>一</a></li><li><a href='b'>二</a></li>"
                        "<li><a href='c'>三</a></li></ul>", encoding="utf-8")
    docs = load_bytes(fragment, fragment.read_bytes(), LoadOptions())
    text = docs[0].page_content
    assert "## 部署" in text and "6006" in text and "一" in text and "content" not in docs[0].metadata


def test_merged_header_and_score_cells_stay_under_their_columns() -> None:
    # page-048: "提前批录取线" spans the 文科 and 理科 columns of the row below it, "省份" spans both header rows,
    # and a province with one score for both (北京) has it in one cell spanning the two columns.
    text, metadata = _read("page-048.html")
    assert metadata["content"] == "main"  # the page's table now survives main-content extraction
    assert ("| 省份 | 提前批录取线 文科 | 提前批录取线 理科 | 校本部一批录取线 文科 | 校本部一批录取线 理科 |"
            " 中法学院一批录取线 文科 | 中法学院一批录取线 理科 |") in text
    assert "| 北京 | 669 | 669 | 671 | 671 | 639 | 639 |" in text  # not "| 北京 | 669 | 671 | 639 | | | |"
    assert "| 河北 | 655 | 682 | 657 | 690 | 629 | 662 |" in text
    assert "| 山西 |  |  | 627 | 667 | 591 | 615 |" in text
    whole, _ = _read("page-048.html", main_content=False)
    assert "| 北京 | 669 | 669 | 671 | 671 | 639 | 639 |" in whole


def test_a_bold_section_title_becomes_a_heading_and_a_bold_sentence_does_not() -> None:
    # page-068 writes its sections as <p><strong>五、招生计划</strong></p>: as headings they head their chunks, and
    # "2021年澳门保送生招生计划多少人？" finds "20人" under "五、招生计划" (it had ranked below 20 chunks of the page)
    text, _ = _read("page-068.html")
    assert "\n## 五、招生计划\n\n20人（根据生源情况确定最终名额，宁缺毋滥）。" in text
    assert "**五、招生计划**" not in text
    rules, _ = _read("page-054.html")
    assert "**八、本简章由中国人民大学本科生招生办公室负责解释。**" in rules  # a sentence stays as it is
