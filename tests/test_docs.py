"""The documents say what the code does."""

from __future__ import annotations

from conftest import ROOT

from allocator.model.rules import with_model_doc


def test_model_doc_is_generated_from_the_rule_table() -> None:
    """docs/model.md's formulation is the table's; `python -m allocator.model.rules
    docs/model.md` writes it anew after a family changes."""
    doc = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert doc == with_model_doc(doc)


def test_readme_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
