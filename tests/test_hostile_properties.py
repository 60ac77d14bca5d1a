"""Generated scenario dictionaries (issue 12): wrong types, extreme floats, unicode and nesting
go through validation, the numerical probe and a tiny run; the only exception allowed is the
project's own error type, so nothing that validates can crash the run."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim.checks.probe import check_computable
from sim.errors import SimError
from sim.levers import levers
from sim.priors import parameters
from sim.runner import run
from sim.scenario import from_dict

KEYS = ["name", "title_zh", "title_en", "description", "draws", "seed", "levers", "readings",
        "assumptions", "lever", "draw"]  # fmt: skip
LEVERS = sorted(levers())
PARAMETERS = sorted(parameters())

scalars = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.booleans()
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
numbers = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-10, max_value=5000)
    | st.integers(min_value=-(2**70), max_value=2**70)
    | values
)
scenarios = st.fixed_dictionaries(
    {"name": st.sampled_from(["ok", "a" * 81, "", "名字", "x/y"]) | values},
    optional={
        "draws": st.integers(min_value=-5, max_value=2**70) | values,
        "seed": st.integers(min_value=-5, max_value=2**70) | values,
        "description": st.text(max_size=50) | values,
        "title_en": st.text(max_size=90) | values,
        "levers": st.dictionaries(
            st.sampled_from(LEVERS) | st.text(max_size=8), numbers, max_size=4
        )
        | values,
        "assumptions": st.dictionaries(st.sampled_from(PARAMETERS), numbers, max_size=4) | values,
        "readings": st.dictionaries(st.text(max_size=30), values, max_size=2) | values,
    },
) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), values, max_size=6)


# Nearly valid scenarios: every assumption at an edge of its allowed range or near one, every
# lever at an edge of its range, so that many examples reach the run.
edges = st.fixed_dictionaries(
    {"name": st.just("edge")},
    optional={
        "levers": st.dictionaries(
            st.sampled_from(LEVERS),
            st.sampled_from([0.0, 1.0]).map(float),
            max_size=6,
        ).map(
            lambda d: {
                k: levers()[k].min + v * (levers()[k].max - levers()[k].min) for k, v in d.items()
            }
        ),
        "assumptions": st.dictionaries(
            st.sampled_from(PARAMETERS), st.sampled_from([0.0, 1.0, 1e-12, 1 - 1e-12]), max_size=6
        ).map(lambda d: {k: _between(k, v) for k, v in d.items()}),
    },
)


def _between(pid: str, share: float) -> float:
    lo, hi = parameters()[pid].allowed_range()
    return lo + share * (hi - lo)


def _validate_and_run(data: dict[str, Any], note: Any = event, series: bool = True) -> None:
    try:
        scenario = from_dict(data, source="generated.toml")
        check_computable(scenario)
    except SimError:
        note("refused")
        return
    note("ran")
    run(scenario, draws=100, series=series)


@pytest.mark.slow  # 80 generated scenarios, most of them run; the corpus stays fast
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios | edges)
def test_generated_scenarios_fail_only_with_the_project_error(data: dict[str, Any]) -> None:
    _validate_and_run(data)


@pytest.mark.slow
def test_every_parameter_at_each_edge_of_its_range_is_refused_or_runs() -> None:
    """Each assumption alone at the ends of ``Prior.allowed_range``: the probe refuses it or a
    tiny run completes with no floating-point error (the scan behind the probe's design). The
    runs simulate every component but keep only the targets' series (series=False): building
    410 whole results of 100 draws took half the test's time and checks nothing of the model;
    the generated scenarios above build theirs in full."""
    for pid in PARAMETERS:
        for share in (0.0, 1.0):
            data = {"name": "edge", "assumptions": {pid: _between(pid, share)}}
            with np.errstate(divide="raise", over="raise", invalid="raise"):
                _validate_and_run(data, note=lambda _: None, series=False)
