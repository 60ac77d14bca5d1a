#!/usr/bin/env python3
"""Rewrite the generated blocks of docs/model.md (run after changing the reference class)."""

from __future__ import annotations

from pathlib import Path

from sim.catalogue.pooling import classes_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "model.md"
BEGIN, END = "<!-- outside-view:begin -->", "<!-- outside-view:end -->"


def render(text: str) -> str:
    """``text`` with the outside-view block replaced by the current table."""
    a, b = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:a] + "\n" + classes_table() + "\n" + text[b:]


if __name__ == "__main__":
    DOC.write_text(render(DOC.read_text(encoding="utf-8")), encoding="utf-8")
