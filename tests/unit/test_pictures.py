"""Hostile pictures cost one line: a decompression bomb and a broken file are refused before any OCR runs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from kb_assistant.errors import LoaderError
from kb_assistant.ingestion.loaders import load_bytes


def test_a_decompression_bomb_and_a_broken_picture_are_refused_clearly() -> None:
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")  # 48 KB on disk, 400 million pixels decoded
    with pytest.raises(LoaderError, match="too large to read .* scale it down"):
        load_bytes(Path("bomb.png"), bomb.getvalue())
    with pytest.raises(LoaderError, match=r"not a readable \.jpg image .* re-save it"):
        load_bytes(Path("broken.jpg"), b"\xff\xd8\xff garbage" * 40)
