"""Live runs (the what-if page's) give the numbers of ordinary runs, bit for bit.

:func:`sim.runner.run_live` simulates every chunk at once and reduces them in the calling
process, keeps the yearly quantiles and sample of only the series targets and actuals read, and
pairs a package with the stored targets-met flags of an earlier run instead of simulating that
run again. Every assertion compares with :func:`sim.run` / :func:`sim.run_many` exactly: no
tolerance, so no false-failure rate.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sim.engine import stop_pool, worker_pool
from sim.errors import ResultError
from sim.live import run_plan_live
from sim.plan import plan_for
from sim.runner import run, run_live, run_many
from sim.scenario import load_scenario, status_quo

DRAWS = 9_000  # two chunks: the second is paired and reduced after the first fixed the grids
TABLES = ("attainment", "joint", "groups", "cofailure", "n_met", "distributions")


@pytest.fixture(scope="module")
def start():
    return status_quo("base").with_run_settings(DRAWS, 11)


@pytest.fixture(scope="module")
def package(start):
    return start.with_levers(cultivation_programme=3000, talent_programme=6000).renamed("pkg")


@pytest.fixture(scope="module")
def pool():
    executor = worker_pool(2)
    yield executor
    stop_pool(executor)


@pytest.fixture(scope="module")
def ordinary(start, package):
    return run_many([start, package])


@pytest.fixture(scope="module")
def live(start, package, pool):
    base = run_live(start, executor=pool)
    return base, run_live(package, against=base, executor=pool)


def test_every_table_is_the_ordinary_runs(live, ordinary) -> None:
    for got, want in zip(live, ordinary, strict=True):
        for name in TABLES:
            pd.testing.assert_frame_equal(
                getattr(got.result, name), getattr(want, name), check_exact=True, obj=name
            )


def test_a_package_is_paired_with_the_stored_start(live, ordinary) -> None:
    got = live[1].result.comparison
    pd.testing.assert_frame_equal(got, ordinary[1].comparison, check_exact=True)
    assert (got["difference"] != 0).any()  # the package moves something: the pairs count


def test_the_series_kept_are_the_targets_and_theirs_are_exact(live, ordinary) -> None:
    got, want = live[1].result, ordinary[1]
    kept = set(got.manifest["series"])
    judged = set(got.attainment["indicator"].dropna())
    assert judged <= kept < set(want.trajectories["indicator"])
    mine = want.trajectories[want.trajectories["indicator"].isin(kept)].reset_index(drop=True)
    pd.testing.assert_frame_equal(got.trajectories.reset_index(drop=True), mine, check_exact=True)
    names = list(got.sample["indicator"].values)
    assert set(names) == kept
    assert (got.sample["value"] == want.sample["value"].sel(indicator=names)).all()


def test_workers_or_none_give_the_same_bits(start, package, live) -> None:
    here = run_live(package, against=run_live(start))
    for name in (*TABLES, "comparison"):
        pd.testing.assert_frame_equal(
            getattr(here.result, name), getattr(live[1].result, name), check_exact=True
        )


def test_a_live_result_cannot_be_saved(live, tmp_path) -> None:
    with pytest.raises(ResultError, match="only some series"):
        live[1].result.save(tmp_path / "live")
    assert not (tmp_path / "live").exists()


def test_a_reference_on_other_draws_is_refused(start, package, live) -> None:
    other = run_live(start.with_run_settings(DRAWS, 12))
    with pytest.raises(ValueError, match="same draws"):
        run_live(package, against=other)
    with pytest.raises(ValueError, match="one scenario"):
        run_plan_live(plan_for([start, package]), reference=live[0].reference)


def test_a_progress_report_that_raises_stops_the_run(start, pool) -> None:
    class Stop(Exception):
        pass

    seen = []

    def report(done: int, total: int) -> None:
        seen.append(done)
        raise Stop

    plan = plan_for([start.with_run_settings(40_000, 11)])
    with pytest.raises(Stop):
        run_plan_live(plan, pool, on_progress=report)
    assert seen == [8192]  # stopped after the first chunk; the chunks not started cancelled
    run_live(start, executor=pool)  # and the pool still works


def test_a_scenario_with_actuals_is_the_ordinary_run(pool) -> None:
    scenario = load_scenario("scenarios/monitoring_example.toml").with_run_settings(DRAWS, 5)
    got = run_live(scenario, against=run_live(scenario.without_actuals()), executor=pool)
    want = run(scenario)
    for name in TABLES:
        pd.testing.assert_frame_equal(
            getattr(got.result, name), getattr(want, name), check_exact=True
        )
    for name in ("changes", "actuals", "effective_draws"):
        pd.testing.assert_frame_equal(
            getattr(got.result, name)(), getattr(want, name)(), check_exact=True
        )
    assert got.result.comparison is None  # weighted draws are not paired with stored flags


def test_the_plan_keeps_no_more_than_asked(start) -> None:
    plan = replace(plan_for([start]), series=("hightech_enterprises",))
    assert plan.keeps_series("hightech_enterprises") and not plan.keeps_series("tech_smes")
    assert plan.sample_draws == min(plan.sample_size, plan.draws)
    assert replace(plan, series=()).sample_draws == 0


PACKAGES = [  # each touches other components; the last also fixes a parameter (its own init)
    {"cultivation_programme": 3500.0},
    {"talent_programme": 7000.0, "agri_extension": 2500.0},
    {"project_attraction": 2000.0, "rd_post_subsidy": 5000.0, "patent_subsidy": 1200.0},
    {},
]


@pytest.mark.parametrize("jobs", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_packages_beside_a_kept_start_are_their_own_runs(start, jobs, pool) -> None:
    """The first package fills the start's traces, the others look them up (in this process, or
    in whichever worker gets each chunk): every table is each package's own run's."""
    from sim import live as live_module

    live_module._TRACES.clear()
    executor = pool if jobs == 2 else None
    base = run_live(start, executor=executor)
    scenarios = [start.with_levers(**levers).renamed(f"p{i}") for i, levers in enumerate(PACKAGES)]
    scenarios.append(
        start.with_levers(cultivation_programme=3500.0)
        .with_assumptions(**{"firms.pass_rate": 0.5})
        .renamed("assumed")
    )
    for scenario in scenarios:
        got = run_live(scenario, against=base, executor=executor).result
        want = run_many([start, scenario])[1]
        for name in (*TABLES, "comparison"):
            pd.testing.assert_frame_equal(
                getattr(got, name), getattr(want, name), check_exact=True, obj=scenario.name
            )
    if jobs == 1:  # kept here: one complete trace per chunk of the start
        assert len(live_module._TRACES) == 2
        assert all(t.complete for t in live_module._TRACES.values())


def test_a_trace_is_refused_for_another_scenario_or_chunk(start, package) -> None:
    from sim.chunk import Trace, simulate_chunks
    from sim.models import components

    years = (2022, 2023, 2024, 2025)
    trace = Trace(Trace.key_of(start, 11, 0, 500, years, components()))
    simulate_chunks([start], 0, 500, 11, years, trace=trace)
    assert trace.complete
    with pytest.raises(ValueError, match="another scenario"):
        simulate_chunks([package], 0, 500, 11, years, trace=trace)
    with pytest.raises(ValueError, match="another scenario"):
        simulate_chunks([start], 1, 500, 11, years, trace=trace)


def test_a_stream_only_a_package_draws_from_continues_where_init_left_it() -> None:
    """A stream the start's steps never call is not in the trace's logs: a package's steps must
    get it at the state init left it in (kept in the trace), as they do beside the start."""
    from sim.chunk import Trace, simulate_chunks
    from sim.models.contract import Component

    def init(state, ctx):
        ctx.rng("a").normal(size=ctx.n)  # init moves stream a on
        return {"hightech_enterprises": np.zeros(ctx.n)}

    def step(state, ctx, year):
        moved = not np.all(ctx.lever_effect("hightech_enterprises") == 1.0)
        noise = ctx.rng("a" if moved else "b").normal(size=ctx.n)
        return {"hightech_enterprises": state["hightech_enterprises"] + noise}

    toy = Component("toy", ("hightech_enterprises",), (), ("a", "b"), init, step)
    years, comps = (2022, 2023, 2024), (toy,)
    base, moved = status_quo("base"), status_quo("base").with_levers(cultivation_programme=4000)
    want = simulate_chunks([base, moved], 0, 50, 3, years, comps)[1]
    trace = Trace(Trace.key_of(base, 3, 0, 50, years, comps))
    simulate_chunks([base], 0, 50, 3, years, comps, trace=trace)  # the start alone fills it
    got = simulate_chunks([base, moved], 0, 50, 3, years, comps, trace=trace)[1]
    np.testing.assert_array_equal(got["hightech_enterprises"], want["hightech_enterprises"])
    assert not np.array_equal(got["hightech_enterprises"][:, 1], np.zeros(50))


def _pid_and_traces(scenario_hash: str) -> tuple[int, int]:
    """This worker's pid and how many complete traces it keeps of the scenario."""
    import os

    from sim import live as live_module

    kept = [t for key, t in live_module._TRACES.items() if key[0] == scenario_hash]
    return os.getpid(), sum(t.complete for t in kept)


def test_a_pool_first_used_by_a_thread_that_ended_keeps_its_warm_workers() -> None:
    """Linux kills a worker when the thread that forked it ends (the parent-death signal is per
    thread): the pool forks every worker in the thread that makes it, not in the short-lived
    thread that submits its first task (the page's warm-up), and each worker runs the warm-up
    (here: keeping the traces of a small start's one chunk) before any task."""
    import threading
    from functools import partial

    from sim.live import fill_traces

    small = status_quo("small").with_run_settings(300, 4)
    pool = worker_pool(2, partial(fill_traces, small))
    key = small.hash()
    first = threading.Thread(target=lambda: pool.submit(_pid_and_traces, key).result(timeout=60))
    first.start()
    first.join()
    try:
        answers = {pool.submit(_pid_and_traces, key).result(timeout=60) for _ in range(6)}
        assert all(traces == 1 for _, traces in answers)  # one chunk of 300 draws, kept
    finally:
        stop_pool(pool)
