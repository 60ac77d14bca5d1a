"""The backcast's machinery: it runs from the 2020 state, checks every 2021–2022 observation
that has a model counterpart, and reproduces the observed 2022 values it was given.

The backcast is in-sample (see :mod:`sim.checks.backcast`): the priors and the start were
set from the same 2022 values it compares with, so it cannot validate the priors and these
tests make no statistical claim about them (the out-of-sample calibration test is
``tests/test_backtest.py``). "Reproduces" is a bug check, not a coverage test: a value a
prior or the start was set from lies near the middle of its prediction by construction, so
it must fall inside the central 99 % of the model's 2022 distribution; only a broken start,
carry-back or step puts it outside (the in-sample percentiles are 20–72 at seed 2020).
"""

from __future__ import annotations

import pytest

from sim.catalogue import indicators, observed
from sim.checks.backcast import run_backcast


@pytest.fixture(scope="module")
def backcast():
    return run_backcast(draws=10_000, seed=2020)


def test_it_runs_from_2020_and_checks_2021_and_2022(backcast) -> None:
    assert len(backcast.table) > 0
    assert set(backcast.table["year"]) <= {2021, 2022}


def test_the_in_sample_2022_values_are_reproduced(backcast) -> None:
    """Every 2022 value a prior or the start was set from lies in the central 99 % of the
    model's 2022 distribution (a bug check: see the module docstring)."""
    in_sample = backcast.table.query("year == 2022 and not independent")
    assert len(in_sample) >= 5
    off = in_sample[~in_sample["percentile"].between(0.5, 99.5)]
    assert off.empty, off[["indicator", "observed", "q025", "q975", "percentile"]]


def test_values_set_from_2022_figures_are_labelled_in_sample(backcast) -> None:
    """The report says which checks are circular: R&D intensity and the high-tech share of
    2022 start the model's own priors (reference-class pooling with Qidong's points)."""
    flags = backcast.table.set_index(["indicator", "year"])["independent"]
    assert not flags[("rd_to_gdp", 2022)]
    assert not flags[("hightech_output_share", 2022)]
    assert backcast.in_sample == int((~backcast.table["independent"]).sum())


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
