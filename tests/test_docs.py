"""Every figure docs/model.md quotes from the model is generated (tools/update_docs.py) and
checked here: a stale block fails with the command that refreshes it. Exact: the blocks are
deterministic (fixed seeds, the pinned baseline)."""

from __future__ import annotations

from tools.update_docs import DOC, render


def test_generated_blocks_are_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert render(text) == text, "docs/model.md is stale: run python tools/update_docs.py"
