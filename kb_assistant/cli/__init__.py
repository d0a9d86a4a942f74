"""The command line: a thin edge over the library, one module per command group. Heavy imports live inside
commands so ``--help`` is instant.

``app`` holds the Typer app and shared helpers; ``kb`` (ingest, sync, reindex, remove, list, drop), ``qa``
(ask, chat, search), ``models``, ``evaluate`` and ``serve`` register their commands on it when imported here;
``output`` draws reports and progress.
"""

from kb_assistant.cli import evaluate, kb, models, qa, serve  # noqa: F401 - importing registers the commands
from kb_assistant.cli.app import app, main

__all__ = ["app", "main"]
