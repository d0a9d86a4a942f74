"""Knowledge-base commands: ingest, sync, reindex, remove, list, drop."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kb_assistant.cli.app import KBOpt, app, err, fail, out, settings_from

if TYPE_CHECKING:
    from kb_assistant.ingestion import IngestReport


def _report_and_exit(report: IngestReport) -> None:
    from kb_assistant.cli.output import render_report

    render_report(out, report)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to index.")],
    kb: KBOpt = None,
    prune: Annotated[bool, typer.Option(help="Remove files that are gone from these folders.")] = False,
    wait: Annotated[float | None, typer.Option(help="Seconds to wait for another ingest of the same KB.")] = None,
) -> None:
    """Index documents: new files are added, changed files replaced, unchanged files skipped.

    Exit code 0 when every file was indexed, 1 when some failed (the others are indexed), 2 on errors.
    """
    from kb_assistant.cli.output import RichProgress
    from kb_assistant.embeddings import make_embeddings
    from kb_assistant.ingestion import Ingestor
    from kb_assistant.kb import KBStore

    settings = settings_from(ctx, kb=kb)
    missing = [p for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        fail(f"{missing[0]} does not exist")
    with KBStore(settings).write_lock(timeout=wait):  # a busy KB fails now, not after loading the model
        pass
    ingestor = Ingestor(settings, make_embeddings(settings))
    with RichProgress(err) as progress:
        report = ingestor.run(paths, prune=prune, progress=progress, wait=wait)
    _report_and_exit(report)


@app.command()
def sync(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Folders to mirror.")],
    kb: KBOpt = None,
) -> None:
    """Make the KB mirror these folders: like `ingest --prune`."""
    ingest(ctx, paths, kb=kb, prune=True, wait=None)


@app.command()
def reindex(ctx: typer.Context, kb: KBOpt = None) -> None:
    """Rebuild a KB from its files, e.g. after changing the embedding model."""
    from kb_assistant.cli.output import RichProgress
    from kb_assistant.ingestion import reindex as run_reindex

    settings = settings_from(ctx, kb=kb)
    with RichProgress(err) as progress:
        report = run_reindex(settings, progress=progress)
    _report_and_exit(report)


@app.command()
def remove(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to remove from the KB.")],
    kb: KBOpt = None,
) -> None:
    """Remove files (or everything under folders) from a KB; the files on disk are not touched."""
    from kb_assistant.ingestion import remove_paths

    outcomes = remove_paths(paths, settings_from(ctx, kb=kb))
    if not outcomes:
        fail("none of these paths is in the knowledge base (see `list --files`)", code=1)
    for o in outcomes:
        out.print(f"removed {o.source} ({o.chunks} chunks)")


@app.command("list")
def list_(
    ctx: typer.Context,
    files: Annotated[bool, typer.Option("--files", help="Also list each KB's files.")] = False,
) -> None:
    """Knowledge bases with their files, chunks, embedding model and last update."""
    from kb_assistant.kb import KBStore, list_kbs

    settings = settings_from(ctx)
    infos = list_kbs(settings)
    if not infos:
        out.print("no knowledge bases yet: run `python -m kb_assistant ingest PATH`")
        return
    table = Table()
    for column in ("kb", "files", "chunks", "embedding model", "last update (UTC)"):
        table.add_column(column, overflow="fold")
    for info in infos:
        updated = info.updated_at.strftime("%Y-%m-%d %H:%M:%S") if info.updated_at else "-"
        table.add_row(info.name, str(info.files), str(info.chunks), info.embedding_model, updated)
    out.print(table)
    if files:
        for info in infos:
            records = KBStore(settings.with_overrides(kb=info.name)).file_records().values()
            for record in sorted(records, key=lambda r: r.path):
                out.print(f"{info.name}\t{record.chunks}\t{record.path}")


@app.command()
def drop(
    ctx: typer.Context,
    kb: Annotated[str, typer.Argument(help="Knowledge base to delete.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a knowledge base (its chunks and records; your files are not touched)."""
    from kb_assistant.kb import KBStore

    settings = settings_from(ctx, kb=kb)
    store = KBStore(settings)
    if not store.exists() and not store.file_records():
        fail(f"knowledge base {kb!r} does not exist (see `list`)")
    if not yes and not typer.confirm(f"delete knowledge base {kb!r}?"):
        raise typer.Exit(1)
    with store.write_lock():
        store.drop()
    err.print(f"dropped {kb!r}")
