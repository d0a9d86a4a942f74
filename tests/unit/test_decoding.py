"""Text in the encodings Chinese users actually have decodes to the same characters."""

import json
import random

import pytest

from kb_assistant.errors import LoaderError
from kb_assistant.ingestion.decoding import clean_text, decode_bytes
from tests.conftest import shared_path

SIMPLIFIED = "知识库助手把文档切分成块，再用本地模型回答问题。默认端口是6006。"
TRADITIONAL = "知識庫助手把文件切分成區塊，再用本地模型回答問題。"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (SIMPLIFIED, "utf-8"),
        (SIMPLIFIED, "utf-8-sig"),
        (SIMPLIFIED, "gbk"),
        (SIMPLIFIED, "gb18030"),
        (TRADITIONAL, "big5"),
        (SIMPLIFIED, "utf-16"),
        (SIMPLIFIED, "utf-16-le"),
        (SIMPLIFIED + " mixed English text, too.", "gb2312"),
    ],
)
def test_decodes_chinese_encodings(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding)) == text


def test_binary_is_rejected_with_reason() -> None:
    with pytest.raises(LoaderError, match="binary"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "x.txt")


def test_clean_text_maps_kangxi_radicals_but_keeps_chinese_punctuation() -> None:
    assert clean_text("南\u2f60书，（公式）？") == "南瓜书，（公式）？"


def test_text_with_stray_nuls_from_a_pdf_is_text_not_binary() -> None:
    # PyMuPDF's text of the Pumpkin Book: a third of its pages carry NULs and other controls from formula glyphs
    pages = [json.loads(line)["text"] for line in shared_path("eval", "pumpkin_book_qa", "corpus.jsonl").open(encoding="utf-8")]
    with_nuls = [page for page in pages if "\x00" in page]
    assert len(with_nuls) > 50
    for page in with_nuls:
        text = clean_text(decode_bytes(page.encode("utf-8"), "page.md"))
        assert "\x00" not in text and "\x01" not in text
        assert text == clean_text(page)


def test_mostly_nul_or_invalid_bytes_stay_binary() -> None:
    for data in (b"\x00" * 4096, b"ab\x00\x00" * 1000, b"\x00\x01" + random.Random(0).randbytes(4096)):
        with pytest.raises(LoaderError, match="binary"):
            decode_bytes(data, "x.md")
