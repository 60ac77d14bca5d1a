"""sim — Monte Carlo simulator of Qidong's 2023–2025 innovation targets (启政办发〔2023〕10号).

Public API
==========
=========================  ===========================================================
``load_scenario(path)``    read and validate a scenario file -> ``Scenario``
``status_quo()``           a scenario with every lever at its 2022 level
``run(scenario, ...)``     simulate one scenario -> ``Result``
``run_many([a, b], ...)``  simulate scenarios on shared draws (paired comparisons)
``load_result(folder)``    read a saved result back
``targets()``              the policy's targets, keyed by id
``levers()``               the policy levers, keyed by id
``parameters()``           the parameter priors, keyed by id
=========================  ===========================================================
"""

from sim._version import __version__
from sim.levers import levers
from sim.priors import parameters
from sim.results import Result, load_result
from sim.runner import run, run_many
from sim.scenario import Scenario, load_scenario, status_quo
from sim.targets import targets

__all__ = [
    "Result",
    "Scenario",
    "__version__",
    "levers",
    "load_result",
    "load_scenario",
    "parameters",
    "run",
    "run_many",
    "status_quo",
    "targets",
]
