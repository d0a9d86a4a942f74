"""Text in the pictures of Word and PowerPoint files: a scan pasted into a document, a slide made of a screenshot.

Pictures are read by OCR only where the document (Word) or the slide (PowerPoint) has next to no text of its own
(fewer characters than a PDF page needs to count as text, ``MIN_TEXT_LAYER``), so the logos and photos beside real
text cost nothing. Pictures Pillow cannot decode (WMF and EMF drawings), too small to hold a line of text, or
too large to decode safely are passed over.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from typing import Any

logger = logging.getLogger(__name__)

MIN_PICTURE_SIDE = 32
"""Pictures narrower or lower than this many pixels (icons, bullets, rules) hold no line of text."""


def docx_pictures(document: Any) -> list[bytes]:
    """The encoded pictures of a python-docx ``Document``, in the order they appear in its body."""
    from docx.oxml.ns import qn

    parts = document.part.related_parts
    found = []
    for blip in document.element.body.iter(qn("a:blip")):
        part = parts.get(blip.get(qn("r:embed")))
        if part is not None and hasattr(part, "blob"):
            found.append(part.blob)
    return found


def slide_pictures(slide: Any) -> list[bytes]:
    """The encoded pictures of a python-pptx slide, top to bottom then left to right."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    pictures.sort(key=lambda s: (s.top or 0, s.left or 0))
    return [s.image.blob for s in pictures]


def pictures_text(pictures: Iterable[bytes], model: str) -> str:
    """The OCR text of these encoded pictures, one after the other (``model``: the ``ocr_model`` setting)."""
    from PIL import Image

    from kb_assistant.errors import LoaderError
    from kb_assistant.ingestion.ocr import PageReader

    reader = PageReader(model)
    texts = []
    for blob in pictures:
        try:
            with Image.open(io.BytesIO(blob)) as picture:  # reads the size only
                if min(picture.size) < MIN_PICTURE_SIDE:
                    continue
            text = reader.read(blob).strip()  # decoded there, with Pillow's limits
        except (LoaderError, Image.DecompressionBombError, OSError, ValueError) as e:  # WMF/EMF, broken, huge
            logger.info("picture passed over: %s", e)
            continue
        if text:
            texts.append(text)
    return "\n\n".join(texts)
