"""The contract every component keeps, as a test class its test module subclasses.

    class TestContract(ComponentContract):
        COMPONENT = firms.COMPONENT

gives the component the standard checks, on the whole model run as the engine runs it, from
2022 (a run) and from 2020 (the backcast): one finite value per draw for everything it
records, counts that are non-negative integers, shares in [0, 100], every parameter of its
own read (and none of another component's), lever effects exactly 1 at the status quo, and
a start state that reproduces what was published for 2022.
"""

from __future__ import annotations

import math
from functools import cache
from typing import ClassVar

import numpy as np
import pytest
from harness import Run, simulate

from sim.catalogue import indicators, observed
from sim.levers import levers
from sim.models.contract import Component
from sim.priors import parameters

DRAWS = 1000
STARTS = {2022: 2025, 2020: 2022}  # start year -> last simulated year (run, backcast)


@cache
def whole_model(start: int) -> Run:
    """Every component from ``start`` at the status quo, shared by all contract classes."""
    return simulate(start=start, end=STARTS[start], n=DRAWS)


def _published_precision(value: float) -> float:
    """Half a unit of the last digit a figure was published with (41 → 0.5, 55.44 → 0.005),
    plus 1 %: a ratio whose numerator is a whole count (the patent stock) moves by up to half
    a count over its denominator (0.5 / 97 万 residents ≈ 0.005 per 10k) beyond the rounding."""
    text = repr(float(value)).rstrip("0").rstrip(".")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10.0**-decimals * 1.01


class ComponentContract:
    """Standard checks of one component; subclasses set ``COMPONENT``."""

    COMPONENT: ClassVar[Component]

    @pytest.fixture(params=sorted(STARTS), ids=lambda y: f"start{y}")
    def run(self, request) -> Run:
        return whole_model(request.param)

    def test_outputs_are_catalogue_indicators(self) -> None:
        unknown = set(self.COMPONENT.outputs) - set(indicators())
        assert not unknown, f"outputs missing from indicators.toml: {unknown}"

    def test_every_recorded_series_has_one_finite_value_per_draw(self, run: Run) -> None:
        for year, state in enumerate(run.history):
            for key in self.COMPONENT.recorded:
                value = np.asarray(state[key])
                assert value.shape == (DRAWS,), (key, year, value.shape)
                assert np.isfinite(value.astype(float)).all(), (key, year)

    def test_counts_are_non_negative_integers(self, run: Run) -> None:
        for key in self.COMPONENT.recorded:
            for state in run.history:
                value = np.asarray(state[key])
                if np.issubdtype(value.dtype, np.integer):
                    assert (value >= 0).all(), key
        for ind in self.COMPONENT.outputs:
            if indicators()[ind].type in ("stock", "flow"):
                assert all((np.asarray(s[ind]) >= 0).all() for s in run.history), ind

    def test_shares_stay_percentages(self, run: Run) -> None:
        for ind in self.COMPONENT.outputs:
            if indicators()[ind].unit == "percent":
                values = run.series(ind)
                assert ((values >= 0) & (values <= 100)).all(), ind

    def test_reads_its_parameters_and_no_other(self, run: Run) -> None:
        name = self.COMPONENT.name
        links = {lv.elasticity_parameter(i) for lv in levers().values() for i in lv.acts_on
                 if i in self.COMPONENT.outputs}  # fmt: skip
        own = {p for p in parameters() if p.startswith(f"{name}.")} | links
        used = run.used[name]
        assert own <= used, f"declared but never read: {sorted(own - used)}"
        assert used <= own, f"read but not its own: {sorted(used - own)}"

    def test_lever_effects_are_exactly_one_at_status_quo(self, run: Run) -> None:
        ctx = run.context(self.COMPONENT.name)
        for ind in self.COMPONENT.outputs:
            assert (ctx.lever_effect(ind) == 1.0).all(), ind
            assert (ctx.measurement_effect(ind) == 1.0).all(), ind

    def test_start_state_reproduces_what_was_published(self) -> None:
        start = whole_model(2022).history[0]
        for ind in self.COMPONENT.outputs:
            for year in (2022,):
                obs = observed(ind, year)
                if obs is None:
                    continue
                tolerance = _published_precision(obs.value)
                gap = np.abs(np.asarray(start[ind], dtype=float) - obs.value)
                assert gap.max() <= tolerance, (ind, obs.value, float(gap.max()))
        backcast = whole_model(2020).history[0]
        for ind in self.COMPONENT.outputs:
            obs = observed(ind, 2020)
            if obs is not None and not math.isnan(obs.value):
                gap = np.abs(np.asarray(backcast[ind], dtype=float) - obs.value)
                assert gap.max() <= _published_precision(obs.value), ind
