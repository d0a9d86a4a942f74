"""``python -m kb_assistant``."""

from kb_assistant.cli import main

main()
