#!/usr/bin/env python3
"""Rewrite the generated blocks of docs/model.md (run after changing the reference class, the
pooling or a component's trend): the reference classes and the backtest's coverage."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sim.catalogue.pooling import classes_table
from sim.checks.backtest import coverage_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "model.md"
BLOCKS: dict[str, Callable[[], str]] = {
    "outside-view": classes_table,
    "backtest": coverage_markdown,
}


def render(text: str) -> str:
    """``text`` with every generated block replaced by its current content."""
    for name, make in BLOCKS.items():
        begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
        a, b = text.index(begin) + len(begin), text.index(end)
        text = text[:a] + "\n" + make() + "\n" + text[b:]
    return text


if __name__ == "__main__":
    DOC.write_text(render(DOC.read_text(encoding="utf-8")), encoding="utf-8")
