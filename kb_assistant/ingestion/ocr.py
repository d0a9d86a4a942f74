"""OCR for scanned pages and pictures, offline: PP-OCRv6 models that ship inside PyPI wheels, Chinese and English.

Two models, one reading order:
- **tiny** (faster-paddle's PP-OCRv6 tiny detector and recogniser, 6 MB inside its wheel, run by the ONNX Runtime
  built into it): about 4x faster than small on 2 cores with the same character error rate on simplified Chinese and
  English pages. Its recogniser knows 6,906 characters, which leave out many traditional Chinese ones (a
  traditional page read at 7% errors, against 0.03% with small).
- **small** (RapidOCR with PP-OCRv6 small, 18,710 characters, inside its wheel): on OpenVINO where it is installed
  (bfloat16 on CPUs with those instructions), else onnxruntime.

``ocr_model = "auto"`` reads a page with tiny, and when what tiny read is traditional Chinese it reads the page
again with small, and the document's later pages with small alone. Where faster-paddle has no wheel for the
system, small reads everything. Figures: ``benchmarks/documents_bench.py``.

Pages are turned whole: a page read at a low confidence, or whose lines run up or down the page, is read again
turned, and the upright reading kept (a feeder's upside-down page, a landscape page).

Each engine is loaded once per process, on the first page that needs it. Recognised lines are put in reading
order: boxes whose heights overlap form a line, lines run top to bottom, boxes in a line left to right. Boxes
far apart on a line are cells, and three or more lines in a row of short cells (most as many as the widest) are a
table, written as a Markdown table so that every chunk of it repeats its header row (``splitting``).
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kb_assistant.cjk import WIDE, script_of
from kb_assistant.errors import LoaderError

logger = logging.getLogger(__name__)

OCR_MODELS: tuple[str, ...] = ("auto", "small")
"""Values of the ``ocr_model`` setting."""

_ENGINES: dict[str, Any] = {}
_ENGINE_LOCK = threading.Lock()
MIN_SCORE = 0.5
"""Recognised text below this confidence is dropped (RapidOCR's own default)."""
UPRIGHT_CONFIDENCE = 0.8
"""A page read at a lower mean confidence is read again upside down: upright pages read at 0.92-0.98 with the tiny
model and 0.94-1.00 with the small one, the same pages upside down at 0.49-0.65 and 0.52-0.72 (typeset prose in
three scripts and four of the pumpkin book's pages)."""
DETECTION_SIDE = 1280
"""Detection reads the page at most this many pixels a side: a 200 dpi A4 page is read 20% faster than at its
own size, with the same character error rate on typeset Chinese (benchmarks/documents_bench.py)."""

MAX_SIDE = 4000
"""Larger pictures are scaled down to this many pixels a side before OCR (an A4 page at 340 dpi): a photo of
100 megapixels would otherwise be held three times over (the picture, its copy for the engine, its crops)."""

BACKEND = "auto"
"""Which runtime runs the small model: "auto" (OpenVINO where it imports, else onnxruntime), "openvino" or
"onnxruntime"; read when that engine is first built."""

THREADS: int | None = None
"""CPU threads of each OCR engine; None: the engines' own choice (all cores). Ingest worker processes set 1: one
per core beyond the two the embedding model keeps busy. Read when an engine is first built."""

Box = tuple[float, float, float, str, float]
"""(top, bottom, left, text, right) of one recognised text box."""
CELL_GAP = 0.8
"""Boxes of a line further apart than this many times the line's height are cells of a table row."""
TABLE_ROWS = 3
"""Lines in a row of two or more short cells each (most of them as many as the widest) that make a table."""
SHORT_CELL = 25
"""A table's cells are short: the median cell of a run of lines holds at most this many characters (two columns
of prose are not a table)."""


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


def tiny_available() -> bool:
    """Whether faster-paddle (the tiny model) is installed."""
    try:
        import faster_paddle  # noqa: F401
    except ImportError:
        return False
    return True


def _engine(name: str) -> Any:
    with _ENGINE_LOCK:
        if name not in _ENGINES:
            _ENGINES[name] = _tiny_engine() if name == "tiny" else _small_engine()
        return _ENGINES[name]


def _tiny_engine() -> Any:
    import faster_paddle

    return faster_paddle.OcrEngine(model_size="tiny", det_max_side=DETECTION_SIDE, threads=THREADS)


def _small_engine() -> Any:
    try:
        from rapidocr import RapidOCR
    except ImportError as e:  # the dependency is declared; a broken install says how to fix it
        msg = "OCR needs the rapidocr and onnxruntime packages: pip install rapidocr onnxruntime"
        raise LoaderError(msg) from e
    logging.getLogger("RapidOCR").setLevel(logging.WARNING)
    threads = {} if THREADS is None else {"EngineConfig.onnxruntime.intra_op_num_threads": THREADS,
                                          "EngineConfig.openvino.inference_num_threads": THREADS}
    return RapidOCR(params={
        **backend_params(BACKEND),
        **threads,
        "Global.log_level": "warning",
        "Global.text_score": 0.0,  # every line, for the page's mean confidence; MIN_SCORE applies after
        "Global.use_cls": False,  # pages are turned whole (_upright)
        "Det.limit_type": "max",
        "Det.limit_side_len": DETECTION_SIDE,
    })


def _picture(image: Any) -> Any:
    """A grey (H x W) or RGB (H x W x 3) ``uint8`` array of ``image`` (such an array, or encoded picture bytes), at
    most ``MAX_SIDE`` pixels a side."""
    import numpy as np
    from PIL import Image

    if isinstance(image, np.ndarray):
        if max(image.shape[:2]) <= MAX_SIDE:
            return image
        picture = Image.fromarray(image)
    else:
        picture = Image.open(io.BytesIO(image))
        picture = picture.convert("L" if picture.mode in ("1", "L", "LA", "I", "I;16") else "RGB")
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    return np.asarray(picture)


@dataclass(frozen=True)
class _Reading:
    boxes: list[Box]
    confidence: float
    """Mean recognition confidence over the characters read."""
    sideways: bool
    """Boxes taller than wide hold most of the characters: the lines run up or down the page."""


Found = tuple[float, float, float, float, str, float]
"""(left, top, right, bottom, text, confidence) of a text box an engine found."""


def _tiny_found(picture: Any) -> list[Found]:
    from PIL import Image

    encoded = io.BytesIO()
    # BMP: the engine decodes it with a copy (a PNG costs 30-80 ms a page each way). Only pictures decoded and
    # checked by Pillow here reach the engine's own decoder.
    Image.fromarray(picture).save(encoded, "BMP")
    return [(*map(float, (*b["topLeftCoord"], *b["bottomRightCoord"])), b["text"], float(b["confidence"]))
            for b in _engine("tiny").ocr(encoded.getvalue())["bounds"].values()]


def _small_found(picture: Any) -> list[Found]:
    result = _engine("small")(picture[:, :, ::-1] if picture.ndim == 3 else picture)  # OpenCV's channel order
    if result.boxes is None or result.txts is None:
        return []
    return [(float(min(p[0] for p in box)), float(min(p[1] for p in box)), float(max(p[0] for p in box)),
             float(max(p[1] for p in box)), text, float(score))
            for box, text, score in zip(result.boxes.tolist(), result.txts, result.scores, strict=True)]


def _reading(found: list[Found]) -> _Reading:
    found = [f for f in found if f[4].strip()]
    characters = sum(len(f[4]) for f in found) or 1
    tall = sum(len(text) for left, top, right, bottom, text, _ in found if bottom - top > 1.5 * (right - left))
    return _Reading(
        boxes=[(top, bottom, left, text, right) for left, top, right, bottom, text, score in found if score >= MIN_SCORE],
        confidence=sum(len(f[4]) * f[5] for f in found) / characters,
        sideways=tall > characters / 2,
    )


def _upright(model: str, picture: Any) -> tuple[list[Box], Any]:
    """The ``model``'s boxes of the page turned upright, and that picture. Neither model turns lines (the small
    one's direction classifier is off, as it turned lines but kept an upside-down page's lines in reverse order):
    a page scanned upside down or sideways reads as confident-looking nonsense line by line, but at a low mean
    confidence (upside down; a sideways page's lines are tall boxes), so such a page is read again turned, and
    the reading with the highest confidence is kept."""
    import numpy as np

    find = _tiny_found if model == "tiny" else _small_found
    reading, upright = _reading(find(picture)), picture
    turns = (1, 3) if reading.sideways else (2,) if reading.confidence < UPRIGHT_CONFIDENCE else ()
    for quarter_turns in turns:
        turned = np.ascontiguousarray(np.rot90(picture, k=quarter_turns))
        other = _reading(find(turned))
        # A sideways page's own reading can look confident (the engines turn tall lines to read them), but its
        # lines come out in the wrong order: a good upright reading wins.
        if not other.sideways and (other.confidence > reading.confidence
                                   or (reading.sideways and other.confidence >= UPRIGHT_CONFIDENCE)):
            reading, upright = other, turned
    return reading.boxes, upright


class PageReader:
    """Reads the pages of one document. With ``model="auto"``, once a page reads as traditional Chinese, the
    document's later pages go to the small model alone."""

    def __init__(self, model: str = "auto") -> None:
        if model not in OCR_MODELS:
            msg = f"unknown OCR model {model!r}; set ocr_model to one of {', '.join(OCR_MODELS)}"
            raise LoaderError(msg)
        self.model = "tiny" if model == "auto" and tiny_available() else "small"

    def read(self, image: Any) -> str:
        """The text of one page (a grey or RGB ``numpy`` array, or encoded picture bytes), lines in reading order."""
        try:
            picture = _picture(image)
            if self.model == "tiny":
                boxes, picture = _upright("tiny", picture)
                text = _text(boxes)
                if script_of(text) != "hant":
                    return text
                self.model = "small"
            return _text(_upright("small", picture)[0])
        except LoaderError:
            raise
        except Exception as e:  # the runtimes', OpenCV's and Pillow's errors on a picture they cannot read
            msg = f"OCR failed ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"
            raise LoaderError(msg) from e


def ocr_image(image: Any, model: str = "auto") -> str:
    """The text of one picture (a grey or RGB ``numpy`` array, or encoded picture bytes), lines in reading order."""
    return PageReader(model).read(image)


def _text(boxes: list[Box]) -> str:
    """The page's lines in reading order; runs of lines that are table rows as a Markdown table."""
    lines = [_cells(line) for line in reading_order(boxes)]
    out: list[str] = []
    start = 0
    while start < len(lines):
        end = start
        while end < len(lines) and len(lines[end]) >= 2:
            end += 1
        table = _table(lines[start:end]) if end - start >= TABLE_ROWS else None
        if table is not None:
            out.append(f"\n{table}\n")
            start = end
        else:
            out.append(_join(text for _, text in lines[start]))
            start += 1
    return "\n".join(out).strip("\n")


def _table(rows: list[list[tuple[float, str]]]) -> str | None:
    """Lines of (left, text) cells as a Markdown table, or None where they are no table: most rows must have the
    widest row's number of cells, and the cells must be short. A row with fewer cells (an empty one) has each
    cell put in the column whose left edge is nearest."""
    from kb_assistant.ingestion.tables import markdown_table

    width = max(len(row) for row in rows)
    full = [row for row in rows if len(row) == width]
    lengths = sorted(len(text) for row in rows for _, text in row)
    if len(full) * 2 < len(rows) or lengths[len(lengths) // 2] > SHORT_CELL:
        return None
    edges = [sorted(row[c][0] for row in full)[len(full) // 2] for c in range(width)]
    grid = []
    for row in rows:
        cells = [""] * width
        for left, text in row:
            column = min(range(width), key=lambda c: abs(edges[c] - left))
            cells[column] = f"{cells[column]} {text}".strip()
        grid.append(cells)
    return markdown_table(grid)


def _cells(line: list[Box]) -> list[tuple[float, str]]:
    """A line's (left, text) cells: boxes further apart than ``CELL_GAP`` line heights are in different cells."""
    height = sorted(b[1] - b[0] for b in line)[len(line) // 2]
    cells: list[list[Box]] = [[line[0]]]
    for box in line[1:]:
        if box[2] - cells[-1][-1][4] > CELL_GAP * height:
            cells.append([box])
        else:
            cells[-1].append(box)
    return [(cell[0][2], _join(b[3] for b in cell)) for cell in cells]


def reading_order(items: list[Box]) -> list[list[Box]]:
    """Group (top, bottom, left, text) boxes into lines: a box joins the line whose vertical span it overlaps by
    more than half its own height; lines top to bottom, boxes in each left to right."""
    lines: list[list[Box]] = []
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


def _join(texts: Iterable[str]) -> str:
    out = ""
    for text in texts:
        text = text.strip()
        # Chinese runs on without spaces; a space only between two non-CJK ends.
        if out and text and not (WIDE.match(out[-1]) or WIDE.match(text[0])):
            out += " "
        out += text
    return out
