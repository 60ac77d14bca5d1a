#!/usr/bin/env python3
"""Rewrite the generated blocks of docs/model.md: every figure the document quotes from the
model comes from a function here, and ``tests/test_docs.py`` fails when a block is stale.

A block sits between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sim.analysis.leverage import leverage_table
from sim.catalogue.pooling import classes_table
from sim.checks.backtest import coverage_markdown

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "model.md"
GOLDEN = ROOT / "tests" / "golden" / "baseline.json"


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def baseline_table() -> str:
    """Every modelled target of the pinned baseline: P(met), the judged value's median
    [10–90 %], status (qualitative targets have no probability and are left out)."""
    pinned = json.loads(GOLDEN.read_text(encoding="utf-8"))
    lines = ["| target | P(met) | judged value: median [10 %–90 %] | status |",
             "|---|---|---|---|"]  # fmt: skip
    modelled = {k: t for k, t in pinned["targets"].items() if t["p_met"] is not None}
    for tid, t in sorted(modelled.items(), key=lambda kv: kv[1]["p_met"]):
        judged = f"{_num(t['judged_median'])} [{_num(t['judged_q10'])}–{_num(t['judged_q90'])}]"
        lines.append(f"| `{tid}` | {t['p_met']:.2f} | {judged} | {t['status']} |")
    joint = pinned["joint"]
    lines.append(f"\nExpected number met: {joint['expected_number_met']:.1f} of "
                 f"{joint['number_of_targets_modelled']:.0f}.")  # fmt: skip
    return "\n".join(lines)


BLOCKS: dict[str, Callable[[], str]] = {
    "baseline": baseline_table,
    "outside-view": classes_table,
    "leverage": leverage_table,
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
