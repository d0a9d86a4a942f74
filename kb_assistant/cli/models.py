"""Model commands: models, download."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kb_assistant.cli.app import app, err, out, settings_from


@app.command()
def models(ctx: typer.Context) -> None:
    """The chat-model families and packaged models, and which are on disk."""
    from kb_assistant.llms.loading import downloaded_path
    from kb_assistant.llms.specs import SPECS
    from kb_assistant.packaged import PACKAGED_MODELS, source_files

    settings = settings_from(ctx)
    table = Table(title="chat models")
    for column in ("name", "model", "ModelScope id", "on disk", "notes"):
        table.add_column(column, overflow="fold")
    for spec in SPECS.values():
        if spec.packaged:
            try:
                source_files(PACKAGED_MODELS[spec.packaged])
                where = f"packaged:{spec.packaged}"
            except Exception as e:  # ModelNotFoundError: package missing
                where = f"no ({e})"
        else:
            path = downloaded_path(spec, settings)
            where = str(path) if path else "no"
        table.add_row(spec.family, spec.display_name, spec.modelscope_id or "-", where, spec.notes)
    out.print(table)
    embeddings = Table(title="embedding models (packaged)")
    for column in ("name", "model"):
        embeddings.add_column(column, overflow="fold")
    for model in PACKAGED_MODELS.values():
        if model.kind == "embedding":
            embeddings.add_row(f"packaged:{model.name}", model.description)
    out.print(embeddings)
    provenance = Table(title="where the packaged models come from")
    for column in ("name", "origin", "SHA-256 (pinned, checked before conversion)"):
        provenance.add_column(column, overflow="fold")
    for model in PACKAGED_MODELS.values():
        provenance.add_row(f"packaged:{model.name}", model.origin, model.sha256 or "- (a folder, loaded as is)")
    out.print(provenance)
    out.print(f"configured: chat {settings.llm_model} · embeddings {settings.embedding_model}")


@app.command()
def download(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A family (qwen2-7b, llama3-8b, deepseek-coder-v2-lite, xverse-7b) or a ModelScope id.")],
    cache_dir: Annotated[Path | None, typer.Option(help="Where to put the weights (default: the cache dir).")] = None,
    revision: Annotated[str | None, typer.Option(help="A ModelScope revision.")] = None,
) -> None:
    """Download model weights through ModelScope."""
    from kb_assistant.llms.download import download_model

    settings = settings_from(ctx, cache_dir=cache_dir)
    path = download_model(name, settings.cache_dir, revision=revision)
    err.print(f"downloaded to {path}")
    out.print(str(path))
