"""Chinese, Japanese and Korean characters: one definition of each class for every module that asks."""

from __future__ import annotations

import re

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
