"""Chinese, Japanese and Korean characters: one definition of each class for every module that asks."""

from __future__ import annotations

import functools
import re
from typing import Any

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
"""Han ideographs (extension A, the unified block, compatibility ideographs): what Chinese words are made of."""

HAN_RUNS = re.compile(HAN.pattern + "+")
"""Runs of Han ideographs (the stretches that Chinese word segmentation cuts)."""

WIDE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
"""Characters written with no space between them: CJK punctuation, kana, Han ideographs, full-width forms (two
columns wide in a fixed-width font)."""

EAST_ASIAN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
"""Letters of the East Asian scripts (kana, Han, Hangul), each of which carries about a word."""


def is_chinese(text: str) -> bool:
    """Whether ``text`` holds a Han ideograph: the test for answering, splitting and scoring it as Chinese."""
    return HAN.search(text) is not None


def simplified(text: str) -> str:
    """``text`` with traditional Chinese characters written as simplified ones, one for one (zhconv's table, from
    MediaWiki's; its entries of one character): where words are matched or searched, 臺北 is 台北 and 韓國 is 韩国.
    jieba's dictionary is simplified Chinese, so traditional text is also cut into words better this way."""
    return text.translate(_simplified_table()) if HAN.search(text) else text


@functools.cache
def _simplified_table() -> dict[int, str]:
    from zhconv import zhconv

    zhconv.loaddict()
    return {ord(a): b for a, b in zhconv.zhcdicts["zh2Hans"].items() if len(a) == 1 and len(b) == 1}


def script_of(text: str) -> str | None:
    """"hant" when ``text`` has more characters only traditional Chinese writes (臺, 書, 國) than only simplified
    Chinese writes (书, 国), "hans" for the reverse, None when neither (no Chinese, or only characters both share)."""
    if not HAN.search(text):
        return None  # and zhconv's tables are not loaded for English questions
    traditional_only, simplified_only = _script_tables()
    traditional, simplified = sum(c in traditional_only for c in text), sum(c in simplified_only for c in text)
    return "hant" if traditional > simplified else "hans" if simplified > traditional else None


def in_script(text: str, script: str, sources: str = "") -> str:
    """``text`` in traditional ("hant", Taiwan's characters) or simplified ("hans") Chinese characters, by OpenCC's
    conversion, phrase by phrase (后来 -> 後來, 頭髮 -> 头发, and 公里 stays 公里 where zhconv's tables wrote 公裏). A
    character both scripts write is kept where ``sources`` (when they are in the wanted script) write it so beside
    the same neighbour: "分布" stays as a Taiwanese source writes it, where OpenCC's table writes 分佈."""
    if not HAN.search(text):
        return text
    converted = _converter("s2tw" if script == "hant" else "t2s").convert(text)
    if not sources or len(converted) != len(text) or script_of(sources) not in (script, None):
        return converted  # a source in the other script says nothing of how this one writes a word
    kept = list(converted)
    for i, (before, after) in enumerate(zip(text, converted, strict=True)):
        if before != after and (text[max(i - 1, 0) : i + 1] in sources or text[i : i + 2] in sources):
            kept[i] = before
    return "".join(kept)


@functools.cache
def _converter(config: str) -> Any:
    import opencc

    return opencc.OpenCC(config)


@functools.cache
def _script_tables() -> tuple[frozenset[str], frozenset[str]]:
    """Characters only traditional Chinese writes, and characters only simplified Chinese writes."""
    from zhconv import zhconv

    zhconv.loaddict()
    to_simplified = {a for a, b in zhconv.zhcdicts["zh2Hans"].items() if len(a) == 1 and len(b) == 1 and a != b}
    to_traditional = {a for a, b in zhconv.zhcdicts["zh2Hant"].items() if len(a) == 1 and len(b) == 1 and a != b}
    return frozenset(to_simplified - to_traditional), frozenset(to_traditional - to_simplified)
