"""A reference class drawn from the trend model itself (sim/models/trend.py), written as a
catalogue folder: the packaged catalogue plus one synthetic peer file. Used to check that the
pooling recovers what it should (tests/test_pooling.py) and that the backtest is calibrated
when the model is right (tests/test_backtest.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from sim.catalogue import pooling

CATALOGUE_FILES = ("indicators.toml", "units.toml", "targets.toml", "levers.toml",
                   "observations.csv")  # fmt: skip
HEADER = ["scope", "indicator", "year", "value", "unit", "status", "source_url", "page_date",
          "note"]  # fmt: skip


def write_synthetic_class(
    folder: Path, rng: np.random.Generator, truth: dict[str, float], units: int,
    level_mean: float = 0.0,
) -> None:  # fmt: skip
    """``units`` units × 12 years (2011–2022) of ``rd_to_gdp``: a drift per unit from
    N(m, τ²), a persistent walk with sd σ_P from a log level N(level_mean, 0.3²), and a
    transitory deviation with sd σ_T (``truth``: m, tau, sp, st)."""
    src = Path(pooling.__file__).parent
    for name in CATALOGUE_FILES:
        (folder / name).write_bytes((src / name).read_bytes())
    (folder / "parameters").mkdir()
    ref = folder / "reference_class"
    ref.mkdir()
    (ref / "classes.toml").write_bytes((src / "reference_class" / "classes.toml").read_bytes())
    with open(ref / "synthetic.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for u in range(units):
            d = rng.normal(truth["m"], truth["tau"])
            level = rng.normal(level_mean, 0.3)
            for year in range(2011, 2023):
                level += d + truth["sp"] * rng.standard_normal()
                x = level + truth["st"] * rng.standard_normal()
                row = [f"u{u}", "rd_to_gdp", year, f"{np.exp(x):.9f}", "percent", "reported"]
                w.writerow([*row, "https://example.org", "2023-01-01", "synthetic"])
