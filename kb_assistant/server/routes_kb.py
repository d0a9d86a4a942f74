"""Knowledge-base endpoints: list, upload (same pipeline as the CLI), remove a source, search."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, HTTPException, UploadFile
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from kb_assistant.config import KB_NAME_PATTERN
from kb_assistant.errors import StoreBusyError
from kb_assistant.kb import KBStore, list_kbs
from kb_assistant.server.deps import Ready, State
from kb_assistant.server.schemas import ErrorBody, SearchRequest, UploadReport, error_responses

router = APIRouter(prefix="/v1/kbs", responses=error_responses(400, 401, 422))
KBName = Annotated[str, PathParam(pattern=KB_NAME_PATTERN.pattern, description="letters, digits, '-' and '_'")]
# Served as plain text when opened: markup formats too, so an uploaded page never runs in our origin.
_TEXT_SUFFIXES = {".md", ".markdown", ".txt", ".text", ".csv", ".tsv", ".json", ".jsonl", ".srt", ".vtt", ".html", ".htm", ".log"}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")
_MAX_STEM_BYTES = 200  # + '.' + suffix (16) + '.part' (5) stays under the 255 bytes of a file name


def safe_filename(name: str) -> str:
    """A file name that cannot escape the upload folder: last path component, no control or path characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip().lstrip(".")
    if not name or name in {".", ".."}:
        raise HTTPException(400, "uploaded file has no usable name")
    stem, dot, suffix = name.rpartition(".") if "." in name else (name, "", "")
    # Limits in bytes, not characters: file systems allow 255 bytes, and a CJK character takes three.
    return _cut_utf8(stem, _MAX_STEM_BYTES) + dot + _cut_utf8(suffix, 16)


def _cut_utf8(text: str, max_bytes: int) -> str:
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def upload_dir(state: Any, kb: str) -> Path:
    return (state.settings.persist_dir / "uploads" / kb).resolve()


@router.get("")
async def kbs(state: State) -> dict[str, Any]:
    """Knowledge bases with files, chunks, embedding model and last update."""
    infos = await run_in_threadpool(list_kbs, state.settings)
    return {"data": [{**asdict(i), "updated_at": i.updated_at.isoformat() if i.updated_at else None} for i in infos]}


@router.post("/{kb}/files", response_model=UploadReport, responses={
    **error_responses(403, 409, 413, 503),
    422: {"model": UploadReport | ErrorBody, "description": "Some files failed (each has its reason; the others are indexed), or the request does not match this schema"},
})
async def upload(kb: KBName, files: Annotated[list[UploadFile], File(min_length=1)], state: Ready) -> JSONResponse:
    """Upload documents into a KB (created if new) and ingest them; returns each file's outcome.

    200 when every file was indexed, 422 when any failed (the others are indexed either way). A file that
    was not indexed (empty, unsupported, unreadable) is not kept on the server.
    """
    from kb_assistant.ingestion import Ingestor
    from kb_assistant.ingestion.discovery import FoundFile

    folder = upload_dir(state, kb)
    refused: list[dict[str, Any]] = []
    saved: dict[Path, bytes] = {}
    for upload_file in files:
        name = safe_filename(upload_file.filename or "")
        data = await upload_file.read()
        if not data.strip():
            refused.append({"source": name, "status": "failed", "chunks": 0, "reason": "the file is empty"})
            continue
        saved[folder / name] = data
    report = None
    if saved:
        folder.mkdir(parents=True, exist_ok=True)
        for target, data in saved.items():
            partial = target.with_name(target.name + ".part")
            partial.write_bytes(data)
            partial.replace(target)
        settings = state.for_kb(kb)

        def run() -> Any:
            try:
                return Ingestor(settings, state.embeddings).run_files([FoundFile(root=folder, path=t) for t in saved], wait=30)
            finally:
                store = KBStore(settings)
                indexed = store.file_records() if store.exists() else {}
                for target in saved:
                    if str(target) not in indexed:
                        target.unlink(missing_ok=True)

        try:
            report = await run_in_threadpool(run)
        except StoreBusyError as e:
            raise HTTPException(409, str(e)) from e
    outcomes = [*refused, *(asdict(o) for o in (report.outcomes if report else []))]
    body = {
        "kb": kb,
        "files": outcomes,
        "chunks_written": report.chunks_written if report else 0,
        "seconds": round(report.seconds, 2) if report else 0.0,
    }
    ok = not refused and (report is None or report.ok)
    return JSONResponse(body, status_code=200 if ok else 422)


@router.get("/{kb}/files", responses=error_responses(404))
async def list_files(kb: KBName, state: State) -> dict[str, Any]:
    """The KB's documents: source, chunks, content hash and last update, by source."""
    store = KBStore(state.for_kb(kb))
    if not store.exists():
        raise HTTPException(404, f"knowledge base {kb!r} does not exist (GET /v1/kbs lists them)")
    records = await run_in_threadpool(store.file_records)
    rows = sorted(records.values(), key=lambda r: r.source)
    return {"kb": kb, "data": [
        {"source": r.source, "chunks": r.chunks, "sha256": r.sha256,
         "updated_at": datetime.fromtimestamp(r.updated_at, UTC).isoformat()} for r in rows
    ]}


@router.get("/{kb}/files/{source:path}", responses=error_responses(404))
async def open_source(kb: KBName, source: str, state: State) -> Response:
    """The original document behind a source, to open from a citation.

    Only files the KB has indexed are served. Text formats are sent as UTF-8 plain text (decoded as at
    ingest, so GBK files read right), PDF as PDF, anything else as a download; never as active content.
    """
    store = KBStore(state.for_kb(kb))
    records = [r for r in store.file_records().values() if r.source == source] if store.exists() else []
    path = next((Path(r.path) for r in records if Path(r.path).is_file()), None)
    if path is None:
        raise HTTPException(404, f"{source!r} is not a document of knowledge base {kb!r} (or it was moved)")
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox", "Cache-Control": "no-store"}
    data = await run_in_threadpool(path.read_bytes)
    suffix = path.suffix.lower()
    quoted = quote(path.name)
    if suffix in _TEXT_SUFFIXES:
        from kb_assistant.ingestion.decoding import decode_bytes

        text = decode_bytes(data, path.name)
        headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quoted}"
        return Response(text, media_type="text/plain; charset=utf-8", headers=headers)
    if suffix == ".pdf":
        headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quoted}"
        return Response(data, media_type="application/pdf", headers=headers)
    headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quoted}"
    return Response(data, media_type="application/octet-stream", headers=headers)


@router.delete("/{kb}/files/{source:path}", responses=error_responses(403, 404, 409))
async def remove_source(kb: KBName, source: str, state: State) -> dict[str, Any]:
    """Remove one source (its ``source`` path as listed in search results) from a KB."""
    store = KBStore(state.for_kb(kb))
    records = [r for r in store.file_records().values() if r.source == source]
    if not records:
        raise HTTPException(404, f"{source!r} is not in knowledge base {kb!r}")

    def run() -> int:
        with store.write_lock(timeout=30):
            return store.remove_sources([r.path for r in records])  # Chroma, records and the lexical index

    try:
        chunks = await run_in_threadpool(run)
    except StoreBusyError as e:
        raise HTTPException(409, str(e)) from e
    for record in records:  # uploaded copies go too; files the CLI indexed stay where they are
        path = Path(record.path)
        if path.parent == upload_dir(state, kb):
            path.unlink(missing_ok=True)
    return {"kb": kb, "source": source, "chunks_removed": chunks}


@router.post("/{kb}/search", responses=error_responses(403, 404, 413, 503))
async def search(kb: KBName, body: SearchRequest, state: Ready) -> dict[str, Any]:
    """Retrieval only: the best chunks with their sources and scores."""
    if not KBStore(state.for_kb(kb)).exists():
        raise HTTPException(404, f"knowledge base {kb!r} does not exist")

    def run() -> list[Any]:
        retriever = state.retriever(kb, body.sources).model_copy(update={"k": body.k})
        return retriever.invoke(body.query)

    docs = await run_in_threadpool(run)
    return {"data": [{"text": d.page_content, "metadata": d.metadata} for d in docs]}
