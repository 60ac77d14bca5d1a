"""sim — Monte Carlo simulator of Qidong's 2023–2025 innovation targets (启政办发〔2023〕10号).

Public API
==========
=========================  ===========================================================
``load_scenario(path)``    read and validate a scenario file -> ``Scenario``
``status_quo()``           a scenario with every lever at its 2022 level
``run(scenario, ...)``     simulate one scenario -> ``Result``
``run_many([a, b], ...)``  simulate scenarios on shared draws (paired comparisons)
``sensitivity(scenario)``  what we most need to learn -> ``Sensitivity`` (first-order
                           Sobol indices of every target on every unknown)
``load_result(folder)``    read a saved result back
``requirements(sc, p=0.8)`` what each target below p would take, lever by lever
``optimise(sc, targets=…)`` the cheapest package reaching P ≥ p (or the best under a budget),
                           re-checked on fresh draws
``targets()``              the policy's targets, keyed by id
``levers()``               the policy levers, keyed by id
``parameters()``           the parameter priors, keyed by id
``target_table()``         the targets as a DataFrame (also ``lever_table``,
                           ``parameter_table``)
=========================  ===========================================================

A ``Scenario`` changes in code with ``with_levers(cultivation_programme=2400)``,
``scale_levers(talent_programme=1.5)``, ``with_readings(...)``, ``with_assumptions(...)``,
``with_actuals({...})`` (published figures to condition on) and ``renamed(...)``; each returns a
new, validated scenario. A result of a scenario with actuals also gives ``changes()`` (P(met)
before and after, paired), ``actuals()``, ``effective_draws()`` and ``warnings``. A ``Result``
gives DataFrames (``table()``, ``trajectory(indicator)``, ``draws(indicator)``, ``attainment``,
``joint``, ``comparison``), ``save(folder)``, and the pack's charts as Figures through
``result.plot`` (``.table()``, ``.pmet()``, ``.fan(target_id)``, ``.at_risk()``, ``.joint()``,
``.cofailure()``, ``.changes()``, ``.page(name)``, ``.pack(folder)``). ``sim.analysis``
computes from results what the charts show: ``drivers(result, target_id)``,
``parameter_draws(result)``, ``differences(results)``, ``crossings(results)``,
``cost_effect(results)``, …
A ``Sensitivity`` gives ``table(target_id)``, ``top(target_id, k)``, ``unknowns()`` (what to
learn first), ``targets`` and ``plot()`` (the page "What we most need to learn").
"""

from sim import analysis
from sim import charts as charts  # registers result.plot
from sim._version import __version__
from sim.analysis.learn import Sensitivity, sensitivity
from sim.analysis.optimise import optimise
from sim.analysis.requirements import requirements
from sim.levers import levers
from sim.priors import parameters
from sim.results import Result, load_result
from sim.runner import run, run_many
from sim.scenario import Scenario, load_scenario, status_quo
from sim.tables import lever_table, parameter_table, target_table
from sim.targets import targets

__all__ = [
    "Result",
    "Scenario",
    "Sensitivity",
    "__version__",
    "analysis",
    "lever_table",
    "levers",
    "load_result",
    "load_scenario",
    "optimise",
    "parameter_table",
    "parameters",
    "requirements",
    "run",
    "run_many",
    "sensitivity",
    "status_quo",
    "target_table",
    "targets",
]
