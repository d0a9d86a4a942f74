"""The Typer app, its global options and the helpers every command group shares (no command lives here)."""

from __future__ import annotations

import gc
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from kb_assistant.config import Settings, apply_offline_env
from kb_assistant.errors import KBError

app = typer.Typer(
    help="kb-assistant: a local, offline-first knowledge-base assistant.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# Piped output gets wide lines: tables are not folded into unreadable 80-column shards.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 200)

KBOpt = Annotated[str | None, typer.Option("--kb", help="Knowledge base name (default from config: 'default').")]


@app.callback()
def _global(
    ctx: typer.Context,
    persist_dir: Annotated[Path | None, typer.Option(help="Vector store directory.")] = None,
    chroma_host: Annotated[str | None, typer.Option(help="Use a Chroma server at this host.")] = None,
    chroma_port: Annotated[int | None, typer.Option(help="Chroma server port.")] = None,
    embedding_model: Annotated[str | None, typer.Option(help="Embedding model (packaged:NAME or a path).")] = None,
    llm_model: Annotated[str | None, typer.Option(help="Chat model (packaged:NAME, a family or a path).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    """Global options apply to every command; they override kb-assistant.toml and KB_* variables."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {
        "persist_dir": persist_dir,
        "chroma_host": chroma_host,
        "chroma_port": chroma_port,
        "embedding_model": embedding_model,
        "llm_model": llm_model,
    }


def settings_from(ctx: typer.Context, **overrides: Any) -> Settings:
    """Settings from config file and environment, with the command line on top."""
    try:
        settings = Settings().with_overrides(**(ctx.obj or {}), **overrides)
    except ValueError as e:  # pydantic's ValidationError
        first = e.errors()[0] if hasattr(e, "errors") else {"msg": str(e), "loc": ()}
        where = ".".join(str(p) for p in first.get("loc", ()))
        fail(f"invalid setting {where}: {first['msg']}")
    apply_offline_env(settings)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # read when transformers is imported
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if "transformers" in sys.modules:  # too late for the variables: say it directly (importing it costs ~1 s)
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    return settings


def fail(message: str, code: int = 2) -> None:
    """Print one line to stderr and exit."""
    err.print(f"[red]error:[/red] {message}", soft_wrap=True)
    raise typer.Exit(code)


def main() -> None:
    """Console-script entry point: library errors become one-line messages here."""
    try:
        app()
    except KBError as e:
        err.print(f"[red]error:[/red] {e}", soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted; re-run the same command to finish")
        sys.exit(130)
    finally:
        # With the models loaded, the interpreter's garbage collections at exit walk millions of objects: 2.4 s of
        # an `ask`. Frozen objects are left out of them (and the memory goes back with the process anyway).
        gc.freeze()
