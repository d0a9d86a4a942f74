"""The HTTP API: ``create_app(settings)``; run with ``python -m kb_assistant serve``."""

from kb_assistant.server.app import create_app

__all__ = ["create_app"]
