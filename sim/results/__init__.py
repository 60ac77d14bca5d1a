"""Results of a run, one job per module.

- :mod:`sim.results.stats` — proportions, standard errors, Wilson intervals, paired
  differences, the status thresholds and their order;
- :mod:`sim.results.container` — the :class:`Result` and its notebook conveniences, the
  accessor registry (``result.plot`` comes from ``sim.charts``), :func:`load_result`;
- :mod:`sim.results.build` — a Result from the engine's counts, and paired comparisons;
- :mod:`sim.results.store` — the folder format, written atomically.
"""

from sim.results.container import Result, load_result, register_accessor

__all__ = ["Result", "load_result", "register_accessor"]
