"""The baseline, pinned: a fixed seed and 10,000 draws (two chunks) give exactly the committed
numbers — every target's hits, judged-value quantiles and 2022 value, the joint and group
probabilities, and every indicator's yearly median.

Any change to the model, the priors, the catalogue, the random streams or the reduction that
moves a single bit fails here. When the move is meant (a model change, a new prior, a fixed
bug), regenerate the pinned file with one command and commit it together with the change
and a CHANGELOG.md entry that says which numbers moved and why::

    .venv/bin/python -m pytest tests/test_golden.py --update-golden

Comparison is exact: the reduction keeps integer counts, so the same code gives the same
bits on any machine and for any number of worker processes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from sim.runner import run
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden" / "baseline.json"
DRAWS, SEED = 10_000, 20230305
TARGET_COLUMNS = ("p_met", "judged_q10", "judged_median", "judged_q90", "value_2022", "status")


def _value(x):
    """A JSON-safe exact value (NaN as None, floats as their shortest exact repr)."""
    if isinstance(x, float) and math.isnan(x):
        return None
    return x.item() if hasattr(x, "item") else x


def pinned_numbers() -> dict:
    """The numbers the golden file pins, from a fresh run of the shipped baseline."""
    scenario = load_scenario(ROOT / "scenarios" / "baseline.toml")
    result = run(scenario, draws=DRAWS, seed=SEED)
    a = result.attainment.set_index("target_id")
    traj = result.trajectories
    return {
        "draws": DRAWS,
        "seed": SEED,
        "targets": {tid: {c: _value(a.loc[tid, c]) for c in TARGET_COLUMNS} for tid in a.index},
        "joint": {k: _value(v) for k, v in result.joint["p"].items()},
        "groups": {r.group: _value(r.p_all_met) for r in result.groups.itertuples()},
        "medians": {f"{r.indicator}@{r.year}": _value(r.q50) for r in traj.itertuples(index=False)},
    }


def _differences(want: dict, got: dict, path: str = "") -> list[str]:
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for key in sorted(set(want) | set(got)):
            if key not in got or key not in want:
                out.append(f"{path}{key}: {'missing now' if key not in got else 'new'}")
            else:
                out.extend(_differences(want[key], got[key], f"{path}{key}."))
        return out
    return [] if want == got else [f"{path[:-1]}: pinned {want!r}, now {got!r}"]


def test_baseline_is_pinned(request) -> None:
    got = json.loads(json.dumps(pinned_numbers()))  # the same float round-trip as the file
    if request.config.getoption("--update-golden"):
        GOLDEN.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        pytest.skip(f"rewrote {GOLDEN.relative_to(ROOT)}")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    diffs = _differences(want, got)
    assert not diffs, (
        f"{len(diffs)} pinned baseline numbers moved (if meant, see this module's docstring):\n  "
        + "\n  ".join(diffs[:25])
    )
