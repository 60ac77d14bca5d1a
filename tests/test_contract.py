"""The engine holds components to their contract: order from reads, and every breach caught
before a run (an undeclared read or stream, a foreign write, a cycle, a parameter nobody reads)."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest

import sim.engine
from sim.engine import check_components, run_years
from sim.models import components
from sim.models.contract import Component, ContractError, RunContext, step_order
from sim.models.start import Start, StartError
from sim.priors import draw_parameters
from sim.scenario import status_quo


def toy(name, outputs=(), reads=(), streams=(), init=None, step=None, diagnostics=()):
    """A component whose init and step write zeros to its outputs unless told otherwise."""

    def zeros(state, ctx, *year):
        return {o: np.zeros(ctx.n) for o in outputs}

    return Component(name, tuple(outputs), tuple(reads), tuple(streams), init or zeros,
                     step or zeros, tuple(diagnostics))  # fmt: skip


def run(comps, years=(2022, 2023)):
    ctx = RunContext(n=4, params=draw_parameters(1, 0, 4), levers=status_quo().levers, seed=1,
                     chunk=0, start=Start(years[0], 4))  # fmt: skip
    return [dict(s) for s in run_years(step_order(comps), ctx, years)]


def test_order_follows_reads_not_registration() -> None:
    a = toy("a", ["x"], reads=["b.y"])
    b = toy("b", ["y_out"])
    c = toy("c", ["z"], reads=["x"])
    assert [comp.name for comp in step_order([c, a, b])] == ["b", "a", "c"]


def test_registered_components_step_after_what_they_read() -> None:
    order = [c.name for c in components()]
    assert order[0] == "macro"
    assert order.index("firms") < order.index("rnd") < order.index("patents")
    assert len(order) == len(set(order)) == 9


@pytest.mark.parametrize(
    "comps, message",
    [
        ([toy("a", ["x"], reads=["y"]), toy("b", ["y"], reads=["x"])], "cycle"),
        ([toy("a", ["x"], reads=["nobody.key"])], "no component writes"),
        ([toy("a", ["x"]), toy("b", ["x"])], "written by both"),
        ([toy("a", ["x"]), toy("a", ["y"])], "share a name"),
        ([toy("a", ["x"], reads=["x"])], "its own key"),
    ],
)
def test_static_breaches_are_caught_before_running(comps, message) -> None:
    with pytest.raises(ContractError, match=message):
        step_order(comps)


def test_an_undeclared_read_raises_naming_the_key() -> None:
    sneaky = toy("b", ["y"], step=lambda state, ctx, year: {"y": state["x"]})
    with pytest.raises(ContractError, match="'b' reads 'x' without declaring it"):
        run([toy("a", ["x"]), sneaky])


def test_a_write_outside_the_component_raises() -> None:
    rogue = toy("a", ["x"], step=lambda state, ctx, year: {"x": np.zeros(4), "b.y": np.ones(4)})
    with pytest.raises(ContractError, match=r"writes \['b.y'\]"):
        run([rogue])


def test_an_undeclared_stream_raises() -> None:
    def draw(state, ctx, year):
        return {"x": ctx.rng("noise").random(ctx.n)}

    with pytest.raises(ContractError, match="stream 'noise'"):
        run([toy("a", ["x"], step=draw)])
    assert run([toy("a", ["x"], streams=["noise"], step=draw)])[1]["x"].shape == (4,)


def test_streams_are_the_components_own() -> None:
    def draw(state, ctx, year):
        return {ctx._component.outputs[0]: ctx.rng("noise").random(ctx.n)}

    a, b = toy("a", ["x"], streams=["noise"], step=draw), toy("b", ["y"], streams=["noise"],
                                                              step=draw)  # fmt: skip
    last = run([a, b])[1]
    assert not np.array_equal(last["x"], last["y"])  # "noise" of a and of b are two streams


def test_lever_effects_only_on_own_outputs() -> None:
    def peek(state, ctx, year):
        return {"x": ctx.lever_effect("gdp")}

    with pytest.raises(ContractError, match="not one of its outputs"):
        run([toy("a", ["x"], step=peek)])


def _probe_with(comps):
    with mock.patch.object(sim.engine, "components", return_value=tuple(comps)):
        sim.engine._probed.clear()
        try:
            check_components(2022, 2025)
        finally:
            sim.engine._probed.clear()


def test_the_probe_passes_the_registered_model() -> None:
    _probe_with(components())


def test_the_probe_finds_a_parameter_nobody_reads() -> None:
    without_patents = [c for c in components() if c.name != "patents"]
    with pytest.raises(ContractError, match=r"read by no component:.*'patents.lapse_hazard'"):
        _probe_with(without_patents)


def test_the_probe_finds_a_foreign_parameter() -> None:
    def nosy(state, ctx, *year):
        return {"x": ctx.params["firms.pass_rate"] * np.ones(ctx.n)}

    with pytest.raises(ContractError, match=r"'toy' reads parameters of other components"):
        _probe_with([*components(), toy("toy", ["x"], init=nosy, step=nosy)])


def test_the_probe_finds_a_recorded_key_never_written() -> None:
    lazy = toy("toy", ["x"], diagnostics=["toy.never"])
    with pytest.raises(ContractError, match=r"toy\.never"):
        _probe_with([*components(), lazy])


def test_a_start_year_without_observations_is_refused() -> None:
    for year in (2019, 2021, 2023):
        with pytest.raises(StartError, match="starts at the end of 2022"):
            Start(year, 5)
    with pytest.raises(StartError, match="no qidong observation of 'iur_projects' in 2020"):
        Start(2020, 5).observed("iur_projects")
