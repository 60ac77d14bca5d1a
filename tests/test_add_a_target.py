"""Adding a target with a new indicator is a data change plus one model module.

The worked example of docs/architecture.md ("Adding a target, its indicator and a lever") is
taken from the document itself: its TOML blocks are appended to a copy of the catalogue, its
module is placed in the models package, and the pipeline and the chart pack run on them.
Nothing else changes, so if this passes, the document is true.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import sim
import sim.models
from sim.catalogue import PACKAGED_DIR, reset_caches, use_catalogue
from sim.charts import figures
from sim.charts.layout import styled
from sim.levers import levers
from sim.models import components
from sim.runner import run_many

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
BLOCK = re.compile(r"\*\*`([^`]+)`\*\*[^\n]*\n(?:[^\n]*\n)*?```(?:toml|python)\n(.*?)```", re.S)


def example_files() -> dict[str, str]:
    """File name → the block the document gives for it, in the adding-a-target section."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Adding a target") : text.index("## Where things live")]
    return {name: body for name, body in BLOCK.findall(section)}


@pytest.fixture
def demo_catalogue(tmp_path: Path, monkeypatch):
    """The packaged catalogue plus the document's blocks; the document's module on the path."""
    files = example_files()
    assert set(files) == {"indicators.toml", "targets.toml", "levers.toml",
                          "parameters/demo.toml", "sim/models/demo.py"}  # fmt: skip
    catalogue = tmp_path / "catalogue"
    shutil.copytree(PACKAGED_DIR, catalogue, ignore=shutil.ignore_patterns("__pycache__"))
    modules = tmp_path / "models"
    modules.mkdir()
    for name, body in files.items():
        if name.startswith("sim/models/"):
            (modules / Path(name).name).write_text(body, encoding="utf-8")
        else:
            with open(catalogue / name, "a", encoding="utf-8") as f:
                f.write("\n" + body)
    monkeypatch.setattr(sim.models, "__path__", [*sim.models.__path__, str(modules)])
    with use_catalogue(catalogue):
        yield catalogue
    monkeypatch.undo()
    sys.modules.pop("sim.models.demo", None)
    reset_caches()


@pytest.mark.slow  # two runs and a whole chart pack on a changed catalogue
def test_the_demo_target_runs_and_is_drawn(demo_catalogue: Path) -> None:
    order = [c.name for c in components()]
    assert "demo" in order and order.index("demo") > order.index("macro")
    base = sim.status_quo("demo_base", draws=3000, seed=7)
    pushed = base.with_levers(demo_voucher_budget=1200).renamed("demo_push")
    a, b = run_many([base, pushed])
    row = a.attainment.set_index("target_id").loc["demo_vouchers_each_year"]
    assert row["status"] in ("likely", "uncertain", "at_risk")
    assert 0 < row["p_met"] < 1 and np.isfinite(row["judged_median"])
    # the lever acts: paired difference up, well beyond its error (elasticity ≥ 0.3 on ×2.5)
    diff = b.comparison.set_index("target_id").loc["demo_vouchers_each_year"]
    assert diff["difference"] > 5 * diff["difference_se"]
    assert "demo_voucher_budget" in levers()
    with styled("zh") as st:
        texts = [t.get_text() for _, fig in figures([a], st.lang) for t in fig.findobj(
            lambda o: hasattr(o, "get_text") and isinstance(o.get_text(), str))]  # fmt: skip
    assert any("兑付创新券" in s for s in texts), "the target's short subject is drawn"
    assert any("创新券资金" in s for s in texts), "the lever is on the settings page"


def test_the_packaged_model_is_untouched_afterwards(demo_catalogue: Path) -> None:
    assert "demo" in [c.name for c in components()]


def test_and_without_the_example_there_is_no_demo() -> None:
    assert "demo" not in [c.name for c in components()]
    assert "demo_vouchers_each_year" not in sim.targets()
