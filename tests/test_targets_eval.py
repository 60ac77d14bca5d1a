"""Target kinds reduce trajectories to the right judged values (hand calculations).

No statistical assertions: fixed trajectories, exact values. False-failure rate 0.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.targets import Target, targets

YEARS = (2022, 2023, 2024, 2025)
X = np.array([[100.0, 120.0, 150.0, 180.0], [100.0, 90.0, 200.0, 300.0], [0.0, 0.0, 5.0, 5.0]])


def make(kind: str, threshold: float = 1.0, years=(2023, 2024, 2025)) -> Target:
    return Target(
        id="t",
        name_zh="t",
        name_en="t",
        short_zh="t",
        short_en="t",
        kind=kind,
        indicator="gdp",
        threshold=threshold,
        unit="100m_cny",
        years=years,
        clause="二",
        responsible=("x",),
        group="industry",
    )


def test_level_is_the_deadline_value() -> None:
    assert make("level", years=(2025,)).judged_value(X, YEARS).tolist() == [180, 300, 5]


def test_each_year_is_the_worst_year() -> None:
    assert make("each_year").judged_value(X, YEARS).tolist() == [120, 90, 0]


def test_cumulative_sums_the_judged_years() -> None:
    assert make("cumulative").judged_value(X, YEARS).tolist() == [450, 590, 10]


def test_growth_each_year_is_the_smallest_growth() -> None:
    g = make("growth_each_year").judged_value(X, YEARS)
    assert g[0] == pytest.approx(100 * min(0.2, 0.25, 0.2))
    assert g[1] == pytest.approx(-10.0)
    assert g[2] == pytest.approx(0.0)  # 0 -> 0 is no change; 0 -> 5 is +inf


def test_growth_average_is_compound() -> None:
    g = make("growth_average").judged_value(X, YEARS)
    assert g[0] == pytest.approx(100 * (1.8 ** (1 / 3) - 1))
    assert g[1] == pytest.approx(100 * (3.0 ** (1 / 3) - 1))
    assert np.isinf(g[2])
    assert not np.isnan(g).any()


def test_met_compares_with_threshold_inclusively() -> None:
    assert make("level", 180, years=(2025,)).met(X, YEARS).tolist() == [True, True, False]


def test_readings_change_the_judgement() -> None:
    t = targets()["tech_contracts_cumulative"]
    annual = t.with_reading("annual_2025")
    flows = np.array([[128.0, 60.0, 60.0, 60.0], [128.0, 100.0, 120.0, 150.0]])
    assert t.met(flows, YEARS).tolist() == [True, True]
    assert annual.met(flows, YEARS).tolist() == [False, True]
