"""OCR for scanned pages and pictures: RapidOCR with the PP-OCRv6 detection and recognition models that ship
inside its wheel (ONNX), so it works with no model hub. Chinese and English. The models run on OpenVINO where it
is installed (a dependency): it reads the same ONNX files and, on CPUs with bfloat16 instructions, computes in
bfloat16 (1.6-1.8x faster pages, the same character error rate; benchmarks/documents_bench.py); else onnxruntime.

The engine is loaded once per process, on the first page that needs it. Recognised lines are put in reading
order: boxes whose heights overlap form a line, lines run top to bottom, boxes in a line left to right.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from kb_assistant.cjk import WIDE
from kb_assistant.errors import LoaderError

logger = logging.getLogger(__name__)

_ENGINE: Any = None
_ENGINE_LOCK = threading.Lock()
MIN_SCORE = 0.5
"""Recognised text below this confidence is dropped (RapidOCR's own default)."""


BACKEND = "auto"
"""Which runtime runs the OCR models: "auto" (OpenVINO where it imports, else onnxruntime), "openvino" or
"onnxruntime"; read when the engine is first built."""


def backend_params(backend: str) -> dict[str, Any]:
    """RapidOCR parameters that run detection, direction and recognition on ``backend``."""
    if backend == "onnxruntime":
        return {}
    try:
        import openvino  # noqa: F401
    except ImportError:
        if backend == "openvino":
            raise LoaderError("OCR on OpenVINO needs the openvino package: pip install openvino") from None
        return {}
    from rapidocr import EngineType

    return {f"{stage}.engine_type": EngineType.OPENVINO for stage in ("Det", "Cls", "Rec")}


def _engine() -> Any:
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            try:
                from rapidocr import RapidOCR
            except ImportError as e:  # the dependency is declared; a broken install says how to fix it
                msg = "OCR needs the rapidocr and onnxruntime packages: pip install rapidocr onnxruntime"
                raise LoaderError(msg) from e
            logging.getLogger("RapidOCR").setLevel(logging.WARNING)
            _ENGINE = RapidOCR(params={
                **backend_params(BACKEND),
                "Global.log_level": "warning",
                "Global.text_score": MIN_SCORE,
                # Detection on at most 1280 px a side: a 200 dpi A4 page is read 20% faster, with the same
                # character error rate on typeset Chinese (benchmarks/documents_bench.py).
                "Det.limit_type": "max",
                "Det.limit_side_len": 1280,
            })
        return _ENGINE


def ocr_image(image: Any) -> str:
    """The text of one picture (encoded bytes, a path, or an RGB/grey ``numpy`` array), lines in reading order."""
    try:
        result = _engine()(image)
    except LoaderError:
        raise
    except Exception as e:  # onnxruntime / OpenCV errors on a picture they cannot decode
        msg = f"OCR failed ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"
        raise LoaderError(msg) from e
    if result.boxes is None or result.txts is None:
        return ""
    items = [
        (float(min(p[1] for p in box)), float(max(p[1] for p in box)), float(min(p[0] for p in box)), text)
        for box, text in zip(result.boxes.tolist(), result.txts, strict=True)
        if text.strip()
    ]
    return "\n".join(_join_line(line) for line in reading_order(items))


def reading_order(items: list[tuple[float, float, float, str]]) -> list[list[tuple[float, float, float, str]]]:
    """Group (top, bottom, left, text) boxes into lines: a box joins the line whose vertical span it overlaps by
    more than half its own height; lines top to bottom, boxes in each left to right."""
    lines: list[list[tuple[float, float, float, str]]] = []
    for item in sorted(items, key=lambda i: (i[0], i[2])):
        top, bottom = item[0], item[1]
        height = max(bottom - top, 1.0)
        for line in lines:
            line_top = min(i[0] for i in line)
            line_bottom = max(i[1] for i in line)
            if min(bottom, line_bottom) - max(top, line_top) > height / 2:
                line.append(item)
                break
        else:
            lines.append([item])
    lines.sort(key=lambda line: min(i[0] for i in line))
    return [sorted(line, key=lambda i: i[2]) for line in lines]


def _join_line(line: list[tuple[float, float, float, str]]) -> str:
    out = ""
    for _, _, _, text in line:
        # Chinese runs on without spaces; a space only between two non-CJK ends.
        if out and not (WIDE.match(out[-1]) or WIDE.match(text[0])):
            out += " "
        out += text.strip()
    return out
