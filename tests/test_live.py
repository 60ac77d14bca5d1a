"""Live runs (the what-if page's) give the numbers of ordinary runs, bit for bit.

:func:`sim.runner.run_live` simulates every chunk at once and reduces them in the calling
process, keeps the yearly quantiles and sample of only the series targets and actuals read, and
pairs a package with the stored targets-met flags of an earlier run instead of simulating that
run again. Every assertion compares with :func:`sim.run` / :func:`sim.run_many` exactly: no
tolerance, so no false-failure rate.
"""

from __future__ import annotations

from dataclasses import replace

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
