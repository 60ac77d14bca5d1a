"""The status quo reproduces the recent past: 2022 observations inside the 95 % intervals."""

from __future__ import annotations

import pytest

from sim.catalogue import indicators, observed
from sim.checks.backcast import run_backcast


@pytest.fixture(scope="module")
def backcast():
    return run_backcast(draws=10_000, seed=2020)


def test_every_observed_value_is_inside_its_95_percent_interval(backcast) -> None:
    table = backcast.table
    outside = table[~table["inside_95"]]
    assert outside.empty, outside[["indicator", "year", "observed", "q025", "q975"]]


def test_every_2022_observation_with_a_model_counterpart_is_checked(backcast) -> None:
    checked = set(backcast.table.query("year == 2022")["indicator"])
    expected = {i for i in indicators() if observed(i, 2022) is not None}
    assert checked == expected


def test_unchecked_indicators_are_reported_with_a_reason(backcast) -> None:
    reasons = dict(zip(backcast.unchecked["indicator"], backcast.unchecked["reason"],
                       strict=True))  # fmt: skip
    assert "observed in [2020]" in reasons["hightech_enterprises"]
    assert reasons["tech_smes_registered"] == "no published observation at all"


def test_percentiles_are_percentages(backcast) -> None:
    assert backcast.table["percentile"].between(0, 100).all()
