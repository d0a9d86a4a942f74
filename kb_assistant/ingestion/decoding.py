"""Bytes to text: UTF-8/UTF-16 by BOM, then the Chinese legacy encodings, never silent mojibake."""

from __future__ import annotations

import codecs
import re
import unicodedata

from kb_assistant.errors import LoaderError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Tried in order after UTF-8; strict decoding rejects most wrong guesses, the rest are ranked below.
_LEGACY = ("gb18030", "big5", "shift_jis", "euc-kr", "cp1252")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Kangxi and CJK radicals that PDF fonts emit instead of the ideographs (⽠ for 瓜). Only these are
# NFKC-normalised: full NFKC would also turn Chinese full-width punctuation into ASCII.
_RADICALS = re.compile(r"[\u2e80-\u2fdf]")


def _utf16_without_bom(data: bytes) -> str | None:
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # Random binary decodes to scattered code points; real text is mostly CJK/ASCII.
        if _plausibility(text) > 0.9:
            return text
    return None


def _utf8_with_stray_controls(data: bytes) -> str | None:
    """UTF-8 text with a few NULs and other control characters, as text pulled out of PDFs often has
    (formula glyphs): valid UTF-8, at most 5% NUL bytes, and readable once the controls are dropped."""
    if data.count(0) > 0.05 * len(data):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if _plausibility(_CONTROL.sub("", text)) > 0.6 else None


def _plausibility(text: str) -> float:
    """Share of characters that are common CJK, ASCII printable, or common punctuation."""
    if not text:
        return 0.0
    good = 0
    for ch in text[:20000]:
        o = ord(ch)
        if 0x20 <= o < 0x7F or ch in "\n\r\t" or 0x4E00 <= o <= 0x9FFF or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF:
            good += 1
    return good / min(len(text), 20000)


def decode_bytes(data: bytes, name: str = "file") -> str:
    """Decode text in UTF-8/16/32 (BOM or not), GB18030 (GBK, GB2312), Big5 and a few others."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    if b"\x00" in data[:8192]:
        text = _utf16_without_bom(data) or _utf8_with_stray_controls(data)
        if text is not None:
            return text
        msg = f"{name} looks binary (NUL bytes), not text; convert it to a supported format"
        raise LoaderError(msg)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates: list[tuple[float, str]] = []
    for encoding in _LEGACY:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        candidates.append((_plausibility(text), text))
    if candidates:
        score, text = max(candidates, key=lambda c: c[0])
        if score > 0.6:
            return text
    msg = f"{name}: cannot determine the text encoding; save it as UTF-8"
    raise LoaderError(msg)


def clean_text(text: str) -> str:
    """Map CJK radicals to ideographs, drop control characters, normalise line ends."""
    text = _RADICALS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = _CONTROL.sub("", text)
    return text.replace("\r\n", "\n").replace("\r", "\n")
