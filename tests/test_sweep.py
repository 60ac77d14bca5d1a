"""Scenarios run together share what does not depend on their levers, and nothing else.

Every assertion is exact: a chunk of several scenarios gives each scenario the very arrays
its own simulation gives (the reference here is the plain, unshared loop of
:func:`sim.engine.run_years`), a sweep gives each scenario the result of its own run, the
lighter reduction of a sweep keeps the same numbers, and a replayed stream draws what the
stream itself draws. No tolerance, so no false-failure rate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.chunk import recorded_keys, simulate_chunks
from sim.engine import run_context, run_years
from sim.errors import ResultError
from sim.models import components
from sim.models.contract import Component, ContractError
from sim.plan import CHUNK
from sim.replay import Log, Recorded, Replayed
from sim.runner import run, run_many
from sim.scenario import status_quo

YEARS = (2022, 2023, 2024, 2025)


def alone(scenario, chunk: int, n: int, seed: int) -> dict[str, np.ndarray]:
    """One scenario simulated by itself, with nothing shared."""
    comps = components()
    context = run_context(scenario, chunk, n, seed, YEARS[0])
    keys = recorded_keys(comps)
    series = {k: np.empty((n, len(YEARS))) for k in keys}
    for col, state in enumerate(run_years(comps, context, YEARS)):
        for k in keys:
            series[k][:, col] = state[k]
    return series


@pytest.fixture(scope="module")
def scenarios():
    base = status_quo("base")
    return [
        base,
        base.with_levers(cultivation_programme=3000).renamed("firms_lever"),
        base.with_levers(agri_extension=2500).renamed("agri_lever"),
        base.with_levers(cultivation_programme=3000).renamed("firms_lever_again"),
        base.scale_levers(scitech_statistics=3).renamed("measurement_lever"),
        base.with_assumptions(**{"firms.pass_rate": 0.5}).renamed("firms_assumption"),
        base.with_assumptions(**{"lever.talent_programme.national_talents_new": 0.5})
        .with_levers(talent_programme=8000)
        .renamed("fixed_elasticity"),
        base.scale_levers(
            project_attraction=2, patent_subsidy=1.5, talent_programme=2, micro_loans=0.5
        ).renamed("many_levers"),
    ]


@pytest.fixture(scope="module")
def together(scenarios):
    return simulate_chunks(scenarios, 3, 1500, 7, YEARS)


@pytest.mark.parametrize("i", range(8))
def test_each_scenario_of_a_chunk_gets_exactly_its_own_simulation(scenarios, together, i):
    want = alone(scenarios[i], 3, 1500, 7)
    got = together[i]
    assert list(got) == list(want)
    for key in want:
        assert got[key].dtype == want[key].dtype
        np.testing.assert_array_equal(got[key], want[key], err_msg=key, strict=True)


def test_scenarios_that_agree_share_the_arrays(together) -> None:
    base, firms, agri, firms_again = together[:4]
    assert base["hightech_enterprises"] is agri["hightech_enterprises"]  # agri lever: not firms
    assert base["farmers_trained"] is not agri["farmers_trained"]
    assert firms["hightech_enterprises"] is firms_again["hightech_enterprises"]
    assert base["gdp"] is firms["gdp"]  # nothing upstream of firms changes
    assert not base["hightech_enterprises"].flags.writeable


def test_a_component_cannot_change_what_another_scenario_sees() -> None:
    def init(state, ctx):
        return {"toy_out": np.zeros(ctx.n)}

    def step(state, ctx, year):
        values = state["toy_out"]
        values += 1  # in place: refused, the array is shared
        return {"toy_out": values}

    toy = Component("toy", ("toy_out",), (), (), init, step)
    with pytest.raises(ValueError, match="read-only"):
        simulate_chunks([status_quo()], 0, 10, 1, YEARS, comps=(toy,))


def test_a_lever_effect_in_init_is_a_contract_error() -> None:
    def init(state, ctx):
        return {"gdp": ctx.lever_effect("gdp")}

    early = Component("early", ("gdp",), (), (), init, lambda state, ctx, year: {})
    with pytest.raises(ContractError, match="in init"):
        simulate_chunks([status_quo()], 0, 10, 1, YEARS, comps=(early,))


DRAWS = CHUNK + 700  # two chunks: the pilot and one more


@pytest.fixture(scope="module")
def sweep():
    base = status_quo("base", draws=DRAWS, seed=5)
    settings = [base, base.with_levers(cultivation_programme=2400).renamed("more"),
                base.with_levers(agri_extension=3000).renamed("agri")]  # fmt: skip
    return settings, run_many(settings), run_many(settings, series=False, jobs=2)


def test_a_sweep_gives_each_scenario_the_result_of_its_own_run(sweep) -> None:
    settings, together, _ = sweep
    for scenario, result in zip(settings, together, strict=True):
        own = run(scenario)
        for name, table in own.tables().items():
            pd.testing.assert_frame_equal(result.tables()[name], table, check_exact=True)
        assert result.sample.equals(own.sample)


def test_the_lighter_reduction_keeps_every_number_it_has(sweep) -> None:
    _, full, light = sweep
    for f, lt in zip(full, light, strict=True):
        kept = [c for c in f.attainment.columns if not c.startswith("value_2022")]
        pd.testing.assert_frame_equal(lt.attainment[kept], f.attainment[kept], check_exact=True)
        for name in ("joint", "groups", "cofailure", "n_met", "distributions"):
            pd.testing.assert_frame_equal(getattr(lt, name), getattr(f, name), check_exact=True)
        if f.comparison is not None:
            pd.testing.assert_frame_equal(lt.comparison, f.comparison, check_exact=True)
        assert lt.trajectories.empty and lt.sample.sizes["draw"] == 0
        assert lt.manifest["series"] is False and lt.manifest["sample_draws"] == 0


def test_a_light_result_cannot_be_saved(sweep, tmp_path) -> None:
    with pytest.raises(ResultError, match="only some series, or none"):
        sweep[2][0].save(tmp_path / "light")
    assert not (tmp_path / "light").exists()


# ---------------------------------------------------------------------- replayed streams


def _gen(seed: int = 3) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


def _calls(rng, scale: float) -> list:
    mean = np.linspace(1.0, 50.0, 64)
    return [
        rng.poisson(mean),
        rng.standard_normal(64),
        rng.binomial(np.arange(64), 0.3),
        rng.negative_binomial(5.0, 5.0 / (5.0 + mean * scale)),  # depends on the "lever"
        rng.poisson(mean),
        rng.random(3),
    ]


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_a_replayed_stream_draws_what_the_stream_draws(scale) -> None:
    first = _gen()
    log = Log(first)
    _calls(Recorded(first, log), 1.0)
    replaying = Replayed(log)
    got = _calls(replaying, scale)
    want = _calls(_gen(), scale)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w, strict=True)
    assert (replaying._gen is None) == (scale == 1.0)  # it drew for itself only once different


def test_a_replay_stops_at_a_call_the_log_cannot_stand_for() -> None:
    first = _gen()
    log = Log(first)
    recorded = Recorded(first, log)
    recorded.random(5)
    recorded.shuffle(np.arange(10))  # in place: not replayed
    recorded.random(5)
    replaying, own = Replayed(log), _gen()
    np.testing.assert_array_equal(replaying.random(5), own.random(5))
    a, b = np.arange(10), np.arange(10)
    replaying.shuffle(a)
    own.shuffle(b)
    np.testing.assert_array_equal(a, b)
    out_a, out_b = np.empty(4), np.empty(4)
    replaying.random(out=out_a)
    own.random(out=out_b)
    np.testing.assert_array_equal(out_a, out_b)


def test_the_log_keeps_copies() -> None:
    first = _gen()
    log = Log(first)
    drawn = Recorded(first, log).poisson(np.full(8, 4.0))
    kept = drawn.copy()
    drawn[:] = -1  # the first group changes its result in place
    np.testing.assert_array_equal(Replayed(log).poisson(np.full(8, 4.0)), kept)


@pytest.mark.parametrize(
    "recorded_arg, asked_arg, replayed",
    [
        (0.0, -0.0, False),  # bit for bit: -0.0 is not 0.0
        (np.float64(np.nan), np.float64(np.nan), True),
        (np.array([1.0, 2.0]), np.array([1.0, 2.0]), True),
        (np.array([1, 2]), np.array([1.0, 2.0]), False),  # another dtype
        (2, 2.0, False),  # another type
    ],
)
def test_arguments_must_be_the_same_bit_for_bit(recorded_arg, asked_arg, replayed) -> None:
    first = _gen()
    log = Log(first)
    Recorded(first, log).normal(recorded_arg, 1.0)
    replaying = Replayed(log)
    replaying.normal(asked_arg, 1.0)
    assert (replaying._gen is None) == replayed
