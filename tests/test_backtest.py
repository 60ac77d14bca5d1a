"""The backtest (sim/checks/backtest.py): the calibration test of the suite, the proof that it
forecasts with the components' own trend objects, and the proof that the method is calibrated
when the data come from the model itself.

Statistical assertions and their false-failure rates:

- ``test_synthetic_class_is_calibrated`` draws one synthetic class (seeded) from the trend
  model and checks the 90 % and 50 % coverage each within 4 standard errors of the nominal
  level. The SE is clustered by unit (the cases of one unit share its drift and history, so
  they are not independent): √(Σ_units (Σ_cases (hit − p))²)/N, which with ~120 independent
  units is close to normal. 2 assertions × 6.3e-5 ≈ 1.3e-4 family-wise. Its power is for
  gross errors: dropping the transitory part of the forecast fails it, but forgetting the
  start's own transitory part (W_0 = 0, coverage 0.83 / 0.42, 3.6 SE) does not.
- The calibration tests on the real class assert the goal of issue 11 itself: the 90 %
  intervals cover 0.85–0.95 of cases and the 50 % intervals 0.40–0.60, overall and per class
  with at least 20 cases. These bands are the issue's goal, not a k-SE tolerance. The test is
  deterministic (fixed seed); with other seeds the coverages move by under 1 point (seeds 1
  and 20230305: R&D 0.596 / 0.899 and 0.594 / 0.904, patents 0.467 / 0.876 and 0.465 /
  0.874), so Monte Carlo noise alone does not flip it. Against the data, a unit's cases share
  its history and units share calendar years: clustered by unit the SE is 0.020–0.028 at
  90 % and 0.029–0.039 at 50 % (1,217 cases, 37 units). An exactly calibrated method would
  miss the 90 % band (±0.05) with probability 2Φ(−0.05/0.028) ≈ 7 % per check and the 50 %
  band (±0.10) ≈ 1 %, ≈ 20 % for the six checks together: a statement of the goal, not a
  tight statistical gate. A method without step 5 of the pooling (drifts move) fails it at
  0.66 for patents; with it, every check passes (R&D 0.594 / 0.904, patents 0.465 / 0.874,
  overall 0.526 / 0.888).
- The other tests are exact.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from synthetic import write_synthetic_class

import sim.models as models
from sim.catalogue import pooling, use_catalogue
from sim.catalogue.peers import peer_series
from sim.checks.backtest import (
    GOAL,
    GOAL_MIN_CASES,
    OVERALL,
    Backtest,
    forecast_case,
    run_backtest,
    trends_by_class,
)
from sim.models import rnd
from sim.models.trend import Breaks, Trend

K = 4.0


@pytest.fixture(scope="module")
def backtest() -> Backtest:
    return run_backtest()


def _misses(backtest: Backtest, classes: list[str]) -> list[str]:
    cov = backtest.coverage()
    out = []
    for cid in classes:
        r = cov.loc[cid]
        for key, (lo, hi) in GOAL.items():
            if not lo <= r[key] <= hi:
                se = r[key + "_se_units"]
                out.append(f"{cid}: {key} = {r[key]:.3f} outside [{lo}, {hi}] "
                           f"({int(r['cases'])} cases, se by unit {se:.3f})")  # fmt: skip
    return out


def test_overall_coverage_meets_the_goal(backtest: Backtest) -> None:
    """Overall, the 90 % intervals cover 85–95 % of cases and the 50 % intervals 40–60 %."""
    assert not _misses(backtest, [OVERALL])


def test_coverage_of_every_class_with_enough_cases_meets_the_goal(backtest: Backtest) -> None:
    cov = backtest.coverage()
    classes = [c for c in cov.index if c != OVERALL and cov.loc[c, "cases"] >= GOAL_MIN_CASES]
    assert classes, "no class has enough cases to be judged"
    assert not _misses(backtest, classes)


def test_cases_use_only_what_was_known_at_the_origin(backtest: Backtest) -> None:
    """Every case is a later year than its origin, within three years, with a PIT in [0, 1];
    the three-year-only coverage is a subset of all."""
    df = backtest.cases
    assert len(df) > 0
    assert df["horizon"].between(1, 3).all()
    assert df["pit"].between(0, 1).all()
    assert (df["origin"] + df["horizon"] <= 2022).all()
    assert not (df["unit"] == "qidong").any()
    assert (df["in50"] <= df["in90"]).all()  # the 50 % interval lies inside the 90 % one
    assert backtest.coverage(3).loc[OVERALL, "cases"] == (df["horizon"] == 3).sum()


def test_a_forecast_ignores_the_years_after_its_origin() -> None:
    """Changing a unit's values after the origin leaves its forecast exactly as it was:
    nothing after T enters its priors or its start (the peers' window ends at T too)."""
    cls = pooling.reference_classes()["invention_patents"]
    trend = trends_by_class()["invention_patents"]
    own = peer_series(cls.peer_indicator)["jiangsu"]
    base = forecast_case(cls, trend, "jiangsu", 2018, own, draws=200)
    later = {y: (v * 3 if y > 2018 else v) for y, v in own.items()}
    assert np.array_equal(base, forecast_case(cls, trend, "jiangsu", 2018, later, draws=200))
    assert not np.array_equal(base, forecast_case(cls, trend, "jiangsu", 2019, own, draws=200))


@pytest.mark.slow  # seconds: the whole backtest again
def test_a_case_does_not_depend_on_which_others_run() -> None:
    """Streams are named per (class, unit, origin): one class alone gives the same rows."""
    both = run_backtest(draws=300)
    alone = run_backtest(draws=300, classes=["rd_to_gdp"])
    mine = both.cases[both.cases["class"] == "rd_to_gdp"].reset_index(drop=True)
    assert mine.equals(alone.cases)


# ------------------------------------------------------------------ the component's own trend


class _Shifted(Trend):
    """A trend whose every step adds 0.3 on the scale: a change of the component's dynamics."""

    def step(self, walk, p, rng):  # type: ignore[no-untyped-def]
        walk, transitory = super().step(walk, p, rng)
        return walk + 0.3, transitory


@pytest.fixture
def fresh_components():
    models.components.cache_clear()
    yield
    models.components.cache_clear()


@pytest.mark.slow  # seconds: the whole backtest again
def test_the_backtest_forecasts_with_the_components_trend(monkeypatch, fresh_components) -> None:
    """Change the trend the R&D component steps with, and the R&D forecasts change with it
    (and only they): the backtest runs the component's object, not a copy of it."""
    before = run_backtest(draws=300)
    shifted = _Shifted(rnd.INTENSITY.prefix, rnd.INTENSITY.reference_class)
    monkeypatch.setattr(rnd, "COMPONENT", dataclasses.replace(rnd.COMPONENT, trends=(shifted,)))
    models.components.cache_clear()
    assert trends_by_class()["rd_to_gdp"] is shifted
    after = run_backtest(draws=300)
    rd_before = before.cases.query("`class` == 'rd_to_gdp'")["pit"].to_numpy()
    rd_after = after.cases.query("`class` == 'rd_to_gdp'")["pit"].to_numpy()
    assert rd_after.mean() < rd_before.mean() - 0.2  # forecasts moved up: realised falls lower
    others = before.cases.query("`class` != 'rd_to_gdp'").reset_index(drop=True)
    assert others.equals(after.cases.query("`class` != 'rd_to_gdp'").reset_index(drop=True))


def test_every_trend_of_a_component_module_is_registered() -> None:
    """A Trend (or Breaks) defined in a component module is listed in its COMPONENT, and every
    reference class is used by one (a trend the backtest forecasts, or breaks alone)."""
    import importlib

    for comp in models.components():
        module = importlib.import_module(f"sim.models.{comp.name}")
        defined = {v for v in vars(module).values() if isinstance(v, Trend)}
        assert defined == set(comp.trends), comp.name
        assert {v for v in vars(module).values() if isinstance(v, Breaks)} == set(comp.breaks)
    breaks_only = {b.reference_class for c in models.components() for b in c.breaks}
    assert set(trends_by_class()) | breaks_only == set(pooling.reference_classes())


# ------------------------------------------------------------------ calibrated if the model is

TRUTH = {"m": 0.04, "tau": 0.02, "sp": 0.05, "st": 0.03}
UNITS = 120


@pytest.mark.slow  # seconds: the whole backtest again
def test_synthetic_class_is_calibrated(tmp_path: Path) -> None:
    """On a class drawn from the trend model itself the backtest covers 90 % and 50 % of
    cases within 4 SE (clustered by unit): the method is calibrated when the model is right."""
    write_synthetic_class(tmp_path, np.random.default_rng(20230305), TRUTH, UNITS, level_mean=0.5)
    with use_catalogue(tmp_path):
        bt = run_backtest(draws=1000, classes=["rd_to_gdp"])
    r = bt.coverage().loc[OVERALL]
    # origins 2015–2019 with 3 horizons, 2020 with 2, 2021 with 1 (four years of history)
    assert r["cases"] == UNITS * 18
    for key, nominal in (("cover90", 0.90), ("cover50", 0.50)):
        se = r[f"{key}_se_units"]
        assert abs(r[key] - nominal) <= K * se, f"{key} = {r[key]:.3f} ± {se:.3f}"
