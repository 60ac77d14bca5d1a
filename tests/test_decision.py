"""Decision support: what each target would take (sim requirements) and the cheapest package
(sim optimise).

The algorithms are checked on toy evaluators whose answers are known: P(met) a function of the
settings that the test controls, counted on many draws with a perfect coupling (a package that
meets a target on more draws meets it on every draw the other does), so crossings and the
cheapest package can be computed by hand. The model's evaluator is checked for bit-identical
results with any number of workers; the CLI on a few hundred draws; the baseline in the slow
tier (docs/decision.md).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pytest
from typer.testing import CliRunner

import sim
from sim.analysis.decision import Evaluation, SimEvaluator, nice_step, package_cost
from sim.analysis.optimise import optimise
from sim.analysis.package import scenario_toml
from sim.analysis.requirements import requirements
from sim.cli import app
from sim.levers import levers

ZJTX, RESEARCH, PROJECTS = (
    "zjtx_new_2025",
    "research_projects_each_year",
    "projects_attracted_each_year",
)
TOY_TARGETS = (ZJTX, RESEARCH, PROJECTS)
N = 1_000_000  # toy draws: P is known to 1e-6, so settings to well under a unit


class Toy:
    """An evaluator whose P(met) per target is ``fn(settings)``: counts on N draws with the
    monotone coupling, so the paired difference is exact and its SE the binomial one of it."""

    def __init__(self, fn: Callable[[Mapping[str, float]], Sequence[float]]):
        self.fn = fn
        self.draws = N
        self.seed = 1
        self.packages = 0

    def __call__(self, packages: Sequence[Mapping[str, float]]) -> Evaluation:
        self.packages += len(packages)
        n = self.draws
        met = np.array([np.round(np.clip(self.fn(s), 0, 1) * n) for s in packages], dtype=np.int64)
        gain, loss = np.maximum(met - met[0], 0), np.maximum(met[0] - met, 0)
        every = met.min(axis=1)  # under the coupling, the draws meeting every target
        return Evaluation(
            targets=TOY_TARGETS, draws=n, met=met, gain=gain, loss=loss, all_met=every,
            all_gain=np.maximum(every - every[0], 0), all_loss=np.maximum(every[0] - every, 0),
            group_met={"enterprises": met[:, [0, 2]].min(axis=1)},
        )  # fmt: skip


def frac(settings: Mapping[str, float], lever_id: str) -> float:
    """How far a lever is from the baseline's setting towards its maximum (0 to 1)."""
    lv = levers()[lever_id]
    return (settings[lever_id] - lv.status_quo) / (lv.max - lv.status_quo)


@pytest.fixture(scope="module")
def baseline() -> sim.Scenario:
    return sim.load_scenario("scenarios/baseline.toml")


# ---------------------------------------------------------------------- requirements


def linear_toy(settings: Mapping[str, float]) -> list[float]:
    """ZJTX rises linearly in zjtx_support, 0.3 → 0.9 over its range (crossings at 1,000 and
    1,750) and by 0.1 at most with the cultivation programme (not linked to it in levers.toml);
    RESEARCH rises with dongjiang_programme but only to 0.45; PROJECTS never moves."""
    z = 0.3 + 0.6 * frac(settings, "zjtx_support") + 0.1 * frac(settings, "cultivation_programme")
    r = 0.2 + 0.25 * frac(settings, "dongjiang_programme")
    return [z, r, 0.01]


def test_bisection_finds_the_crossing_of_a_monotone_function(baseline: sim.Scenario) -> None:
    req = requirements(baseline, p=0.8, evaluator=Toy(linear_toy))
    rows = req.table().set_index(["target_id", "lever_id", "level"])
    low = rows.loc[(ZJTX, "zjtx_support", 0.5)]
    high = rows.loc[(ZJTX, "zjtx_support", 0.8)]
    assert low["status"] == high["status"] == "reached"
    assert low["setting"] == pytest.approx(1000, abs=0.5)
    assert high["setting"] == pytest.approx(1750, abs=0.5)
    assert high["extra_cost_wan"] == pytest.approx(1250, abs=0.5)  # 1 万元 a unit
    assert high["package_cost_wan"] == pytest.approx(package_cost(baseline.levers) + 1250, abs=0.5)
    slope = 0.6 / 1500  # the delta method: SE of P at the level over the slope
    assert high["setting_se"] == pytest.approx(math.sqrt(0.8 * 0.2 / N) / slope, rel=1e-3)
    assert bool(low["linked"]) and bool(low["monotone"]) and bool(high["resolved"])


def test_a_level_within_noise_of_p_now_is_flagged(baseline: sim.Scenario) -> None:
    """P now 0.4999: the crossing of 0.5 lies a hair above the setting now, well inside its
    own Monte Carlo error at 10,000 draws."""
    toy = Toy(lambda s: [0.4999 + 0.3 * frac(s, "zjtx_support"), 0.2, 0.01])
    toy.draws = 10_000
    req = requirements(baseline, p=0.8, targets=[ZJTX], only_levers=["zjtx_support"],
                       evaluator=toy)  # fmt: skip
    row = req.table().set_index("level").loc[0.5]
    assert row["status"] == "reached" and not row["resolved"]


def test_indirect_links_unreachable_levels_and_silent_levers(baseline: sim.Scenario) -> None:
    req = requirements(baseline, p=0.8, evaluator=Toy(linear_toy))
    rows = req.table()
    zjtx = rows[rows["target_id"] == ZJTX]
    assert set(zjtx["lever_id"]) == {"zjtx_support", "cultivation_programme"}
    indirect = zjtx[zjtx["lever_id"] == "cultivation_programme"].set_index("level")
    assert not indirect["linked"].any()
    assert indirect.loc[0.5, "status"] == "not_reachable"  # 0.3 + 0.1 at most
    assert indirect.loc[0.5, "p_at_max"] == pytest.approx(0.4)
    research = rows[(rows["target_id"] == RESEARCH) & (rows["lever_id"] == "dongjiang_programme")]
    assert set(research["status"]) == {"not_reachable"}
    # projects_attracted: levers linked to it are listed (and reach nothing), none other
    projects = rows[rows["target_id"] == PROJECTS]
    assert projects["linked"].all() and set(projects["status"]) == {"not_reachable"}


def dip_toy(settings: Mapping[str, float]) -> list[float]:
    """ZJTX rises 0.3 → 0.7 but drops to 0.35 between 60 % and 90 % of the range."""
    x = frac(settings, "zjtx_support")
    return [0.35 if 0.6 < x < 0.9 else 0.3 + 0.4 * x, 0.2, 0.01]


def test_a_non_monotone_effect_is_reported_and_the_first_crossing_kept(
    baseline: sim.Scenario,
) -> None:
    req = requirements(baseline, p=0.8, targets=[ZJTX], evaluator=Toy(dip_toy))
    dips = req.non_monotone
    assert len(dips) >= 1 and set(dips["lever_id"]) == {"zjtx_support"}
    assert dips["fall"].max() == pytest.approx(0.15, abs=1e-3)  # 0.5 at 50 %, 0.35 at 75 %
    row = req.table().set_index(["lever_id", "level"]).loc[("zjtx_support", 0.5)]
    assert row["setting"] == pytest.approx(1250, abs=0.5) and not row["monotone"]


def test_levels_already_reached_and_the_json_form(baseline: sim.Scenario) -> None:
    req = requirements(
        baseline,
        p=0.8,
        targets=[ZJTX],
        only_levers=["zjtx_support"],
        evaluator=Toy(lambda s: [0.6 + 0.3 * frac(s, "zjtx_support"), 0, 0]),
    )
    rows = req.table().set_index("level")
    assert rows.loc[0.5, "status"] == "already" and rows.loc[0.5, "extra_cost_wan"] == 0
    assert rows.loc[0.8, "setting"] == pytest.approx(500 + 1500 * 2 / 3, abs=0.5)
    data = json.loads(json.dumps(req.to_json()))
    assert data["levels"] == [0.5, 0.8] and len(data["requirements"]) == 2


# ---------------------------------------------------------------------- the cheapest package


def additive_toy(settings: Mapping[str, float]) -> list[float]:
    """ZJTX: +0.0003 a 万元 of zjtx_support, +0.0001 a 万元 of project attraction (a worse
    buy); RESEARCH: +0.05 a Dongjiang project (50 万元 each: 0.001 a 万元)."""
    z = 0.5 + 0.0003 * (settings["zjtx_support"] - 500)
    z += 0.0001 * (settings["project_attraction"] - 800)
    r = 0.2 + 0.05 * (settings["dongjiang_programme"] - 8)
    return [z, r, 0.01]


def test_the_greedy_finds_the_known_cheapest_package(baseline: sim.Scenario) -> None:
    found = optimise(baseline, targets=[ZJTX, RESEARCH], p=0.8, evaluator=Toy(additive_toy),
                     recheck=False)  # fmt: skip
    # P(ZJTX) = 0.8 needs 1,000 万元 of zjtx support (500 → 1,500); P(RESEARCH) = 0.8 needs
    # 12 more projects (8 → 20, 600 万元): steps of 200 and 3 reach both exactly.
    assert nice_step(levers()["zjtx_support"], 10) == 200
    assert found.changes == {"zjtx_support": 1500.0, "dongjiang_programme": 20.0}
    assert found.extra_cost_wan == pytest.approx(1600)
    assert found.unreachable == [] and found.results == []
    steps = found.history
    assert set(steps.loc[steps["phase"] == "greedy", "lever_id"]) == {
        "zjtx_support", "dongjiang_programme"}  # fmt: skip


def overshoot_toy(settings: Mapping[str, float]) -> list[float]:
    """ZJTX: +0.25 from the first 200 万元 of zjtx support and nothing after; +0.1 for every
    200 万元 of project attraction. The greedy takes zjtx (0.25 for 200) then a full step of
    project attraction (0.85, 400 万元 in all); the half-step refinement gives back 100."""
    z = 0.5 + 0.25 * min(1.0, (settings["zjtx_support"] - 500) / 200)
    z += 0.1 * (settings["project_attraction"] - 800) / 200
    return [z, 0.2, 0.01]


def test_the_refinement_lowers_what_the_greedy_overshot(baseline: sim.Scenario) -> None:
    found = optimise(baseline, targets=[ZJTX], p=0.8, evaluator=Toy(overshoot_toy),
                     recheck=False)  # fmt: skip
    assert nice_step(levers()["project_attraction"], 10) == 200
    assert found.changes == {"zjtx_support": 700.0, "project_attraction": 900.0}
    assert found.extra_cost_wan == pytest.approx(300)
    assert list(found.history["phase"]) == ["greedy", "greedy", "trim ½"]
    runner = found.runners_up.iloc[0]  # the greedy's package before the trim, 100 万元 more
    assert runner["extra_cost_wan"] == pytest.approx(400)


def test_unreachable_targets_are_left_out_and_said(baseline: sim.Scenario) -> None:
    found = optimise(baseline, targets=[ZJTX, PROJECTS], p=0.8, evaluator=Toy(additive_toy),
                     recheck=False)  # fmt: skip
    assert found.unreachable == [PROJECTS]
    assert found.changes == {"zjtx_support": 1500.0}
    assert any("not reachable" in n for n in found.notes)


def test_a_budget_goes_to_the_best_gain_per_wan(baseline: sim.Scenario) -> None:
    found = optimise(baseline, targets=[ZJTX, RESEARCH], budget=700, maximise="expected",
                     evaluator=Toy(additive_toy), recheck=False)  # fmt: skip
    # Dongjiang projects buy 0.001 a 万元, zjtx support 0.0003, project attraction 0.0001:
    # 14 projects (700 万元, 8 → 22) exhaust the budget.
    assert found.changes == {"dongjiang_programme": 22.0}
    assert found.extra_cost_wan == pytest.approx(700)
    assert found.value_search == pytest.approx(0.5 + 0.2 + 14 * 0.05)


def test_bad_requests_are_refused(baseline: sim.Scenario) -> None:
    toy = Toy(additive_toy)
    with pytest.raises(sim.errors.SimError, match="targets"):
        optimise(baseline, evaluator=toy, recheck=False)
    with pytest.raises(sim.errors.SimError, match="maximise"):
        optimise(baseline, budget=10, maximise="most", evaluator=toy, recheck=False)
    with pytest.raises(sim.errors.SimError, match="group"):
        optimise(baseline, targets=["group:nothing"], evaluator=toy, recheck=False)
    with pytest.raises(sim.errors.SimError, match="unknown levers"):
        optimise(baseline, targets=[ZJTX], only_levers=["nope"], evaluator=toy, recheck=False)
    with pytest.raises(sim.errors.SimError, match="actuals"):
        sim.requirements(sim.load_scenario("scenarios/monitoring_example.toml"))


# ---------------------------------------------------------------------- the model's evaluator


def test_the_model_evaluator_is_the_same_for_any_number_of_workers(
    baseline: sim.Scenario,
) -> None:
    base = dict(baseline.levers)
    packages = [base, {**base, "zjtx_support": 2000.0}, {**base, "dongjiang_programme": 20.0}]
    found = []
    for jobs in (1, 2):
        with SimEvaluator(baseline, draws=300, seed=7, jobs=jobs) as ev:
            found.append(ev(packages))
    one, two = found
    for name in ("met", "gain", "loss", "all_met", "all_gain", "all_loss"):
        assert np.array_equal(getattr(one, name), getattr(two, name)), name
    j = one.column(RESEARCH)
    assert one.diff[2, j] > 3 * one.diff_se[2, j]  # 12 more projects: clearly more met
    assert one.diff[1, j] == 0 and one.gain[1, j] == 0  # zjtx support never touches it


def test_a_written_package_loads_back_to_the_same_scenario(baseline: sim.Scenario) -> None:
    sc = baseline.with_levers(zjtx_support=1234.5, dongjiang_programme=20).with_readings(
        tech_contracts_cumulative="annual_2025"
    ).with_assumptions(**{"firms.renewal_pass": 0.8}).renamed(
        "pkg", 'a "quoted" description\nover two lines', "方案", "Package"
    )  # fmt: skip
    back = sim.scenario.from_dict(__import__("tomllib").loads(scenario_toml(sc)))
    assert back.hash() == sc.hash()


# ---------------------------------------------------------------------- the command line


def test_cli_requirements_smoke(tmp_path) -> None:
    chart = tmp_path / "req.png"
    res = CliRunner().invoke(app, [
        "requirements", "scenarios/baseline.toml", "--targets", ZJTX, "--levers",
        "zjtx_support", "--draws", "300", "--chart", str(chart), "--lang", "en", "--json",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert {r["lever_id"] for r in data["requirements"]} == {"zjtx_support"}
    assert data["draws"] == 300 and data["packages_evaluated"] > 5
    assert chart.stat().st_size > 10_000 and "chart:" in res.stderr


def test_the_terminal_tables(baseline: sim.Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    from sim.cli.decision_cmds import print_package, print_requirements

    print_requirements(requirements(baseline, p=0.8, evaluator=Toy(linear_toy)))
    text = capsys.readouterr().out
    assert "zjtx_support" in text and "cultivation_programme*" in text and "for 0.8" in text
    assert "+1,250" in text and "not reachable" in text
    print_package(optimise(baseline, targets=[ZJTX, RESEARCH], evaluator=Toy(additive_toy),
                           recheck=False))  # fmt: skip
    text = capsys.readouterr().out
    assert "dongjiang_programme" in text and "+1,600" in text


def test_cli_optimise_package_reproduces_its_recheck_with_sim_run(tmp_path) -> None:
    package = tmp_path / "package.toml"
    res = CliRunner().invoke(app, [
        "optimise", "scenarios/baseline.toml", "--targets", ZJTX, "--levers", "zjtx_support",
        "--draws", "200", "--recheck-draws", "300", "--out", str(package), "--json",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert (data["recheck"]["draws"], data["recheck"]["seed"]) == (300, 20230306)
    assert set(data["changes"]) == {"zjtx_support"} and "wrote" in res.stderr
    res = CliRunner().invoke(app, ["run", str(package), "--out", str(tmp_path / "r"),
                                   "--no-charts", "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    rerun = sim.load_result(tmp_path / "r" / "baseline_package")
    pmet = rerun.attainment.set_index("target_id")["p_met"]
    reported = {r["target_id"]: r["p_recheck"] for r in data["targets"]}
    assert rerun.draws_run == 300 and len(reported) == 33
    assert all(pmet[tid] == p for tid, p in reported.items())  # the same draws: bit for bit


def test_cli_optimise_refuses_a_wrong_out_file(tmp_path) -> None:
    res = CliRunner().invoke(app, ["optimise", "scenarios/baseline.toml", "--targets", ZJTX,
                                   "--out", str(tmp_path / "p.txt")])  # fmt: skip
    assert res.exit_code == 2 and ".toml" in res.output


# ---------------------------------------------------------------------- the baseline (slow)


@pytest.mark.slow
def test_baseline_requirements(baseline: sim.Scenario) -> None:
    req = sim.requirements(baseline, p=0.8, jobs=2, targets=[ZJTX, RESEARCH, PROJECTS])
    rows = req.table().set_index(["target_id", "lever_id", "level"]).sort_index()
    zjtx = rows.loc[(ZJTX, "zjtx_support", 0.8)]
    assert zjtx["status"] == "reached" and 700 < zjtx["setting"] < 1400
    assert 0 < zjtx["setting_se"] < 150
    research = rows.loc[(RESEARCH, "dongjiang_programme")]
    assert (research["status"] == "reached").all()
    assert 8 < research.loc[0.5, "setting"] < research.loc[0.8, "setting"] < 20
    projects = rows.loc[PROJECTS]
    assert (projects["status"] == "not_reachable").all()  # no single lever gets there
    assert req.non_monotone.empty
    assert req.plot("zh") is not None and req.plot("en") is not None


@pytest.mark.slow
def test_baseline_cheapest_enterprise_package(baseline: sim.Scenario, tmp_path) -> None:
    found = sim.optimise(baseline, targets=["group:enterprises"], p=0.8, jobs=2)
    assert set(found.unreachable) == {
        "hightech_enterprises_2025", "cultivation_pool_2025", "tech_smes_each_year"}  # fmt: skip
    table = found.table().set_index("target_id")
    for tid in (PROJECTS, ZJTX):
        assert table.loc[tid, "p_search"] >= 0.8
        # the re-check on fresh draws: close to the search, and within 4 SE of p or above it
        assert table.loc[tid, "p_recheck"] > 0.8 - 4 * table.loc[tid, "p_recheck_se"]
    assert 1000 < found.extra_cost_wan < 10000
    assert found.recheck_draws == 20000 and found.recheck_seed == baseline.seed + 1
    path = found.write(tmp_path / "package.toml")
    rerun = sim.run(path)
    pmet = rerun.attainment.set_index("target_id")["p_met"]
    assert all(pmet[t] == table.loc[t, "p_recheck"] for t in table.index)
    assert found.plot("zh") is not None


def test_budget_mode_returns_the_best_affordable_package_seen() -> None:
    """The greedy's last step can be worse than a package it passed: the search returns the
    best affordable one it evaluated (the cheaper on a tie), never an unaffordable one."""
    from sim.analysis.optimise import Objective, _best_affordable, _Search, key

    base = {"a": 0.0, "b": 0.0}
    search = _Search(None, base, ["a", "b"], Objective("expected", [], 0.8), 100.0, {})  # type: ignore[arg-type]
    search.extra = lambda x: x["a"] + x["b"]  # type: ignore[method-assign]
    for settings, value in (
        ({"a": 50.0, "b": 0.0}, 1.9),
        ({"a": 0.0, "b": 90.0}, 2.0),
        ({"a": 60.0, "b": 60.0}, 9.0),
        ({"a": 40.0, "b": 0.0}, 2.0),
    ):
        search.seen[key(settings, base)] = {
            "settings": settings,
            "value": value,
            "extra_cost_wan": search.extra(settings),
        }
    assert _best_affordable(search, {"a": 50.0, "b": 0.0}) == {"a": 40.0, "b": 0.0}
