"""The planners' notebook runs top to bottom through the public API, and is stored without
outputs."""

from __future__ import annotations

import re

import nbformat
from conftest import ROOT
from nbclient import NotebookClient

NOTEBOOK = ROOT / "notebooks" / "what_if.ipynb"


def test_notebook_is_stored_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_notebook_uses_only_the_public_api() -> None:
    """`from allocator import ...` only: what the package exports, as the command line uses."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    source = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "from allocator import" in source
    assert not re.search(r"(from|import) allocator\.", source)
    variants = set(re.findall(r'variant\("([a-z_]+)"\)', source))
    assert len(variants) >= 5, variants


def test_notebook_runs_top_to_bottom() -> None:
    """Every cell runs without error; the plots come out as pictures."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    pictures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pictures) >= 4  # plan, money, comparison, frontier
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "status: infeasible" in text and "of 27 communities meet the standard" in text
    assert "Glyph" not in text  # no characters the installed fonts cannot draw
