"""The quickstart notebook runs end to end with the embedded models, so it cannot rot."""

from __future__ import annotations

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_quickstart_notebook_executes() -> None:
    import nbformat
    from nbclient import NotebookClient

    path = REPO / "notebooks" / "quickstart.ipynb"
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = "".join(
        o.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
    )
    assert "6006" in outputs
    assert "kb-assistant-guide.md" in outputs
    # The agent section: the model called the KB search tool, which answered with numbered passages and sources.
    assert "'name': 'search_quickstart'" in outputs and "ToolMessage [1] (" in outputs
