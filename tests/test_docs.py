"""The documents say what the code does."""

from __future__ import annotations

from conftest import ROOT

import allocator.model.reference


def test_model_doc_matches_the_code() -> None:
    """Every line of the formulation in model.py appears in docs/model.md."""
    doc = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    for line in allocator.model.reference.__doc__.strip().splitlines():
        assert line.strip() in doc, line


def test_readme_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
