"""Text in the encodings Chinese users actually have decodes to the same characters."""

import pytest

from kb_assistant.errors import LoaderError
from kb_assistant.ingestion.decoding import clean_text, decode_bytes

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
