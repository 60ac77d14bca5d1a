"""First-order indices on a Saltelli design with SALib (``sim sensitivity --method saltelli``).

The design (SALib's ``sample.sobol``, scrambled Sobol' points, first order only) has
``N (D + 2)`` rows for D parameters: every parameter is drawn *independently* from its prior
(through its inverse CDF), so the common-factor copula of the run is left out, and each row
gets its own process noise (the chunk's noise streams). SALib's ``analyze.sobol`` gives
Saltelli's (2010) first-order estimator with a bootstrap confidence interval; its half-width
over 1.96 is reported as the SE. The value of information comes from the design's A and B
matrices (2N independent draws) with the given-data band estimator of
:mod:`sim.analysis.sobol`, so it is coarse at the N a draw budget allows.

With D ≈ 200 parameters the design spends D + 2 model runs per base point: at the same number
of draws the given-data estimator is far more precise for first-order indices. Saltelli's
design is here as a cross-check and for total-order indices, which it also yields (``ST``).
SALib is optional: :func:`saltelli` raises a clear error when it is missing.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
from scipy import special

from sim.analysis.learn_draws import Setup
from sim.analysis.sobol import BINS, bin_sums, value_of_information
from sim.engine import run_years
from sim.errors import SimError
from sim.models import components
from sim.models.contract import Component, RunContext, writer_of
from sim.models.start import Start
from sim.priors import Params, parameters

MIN_BASE = 16  # base points of the design: fewer and the bootstrap intervals are meaningless
RESAMPLES = 100  # SALib's default number of bootstrap resamples
U_EDGE = 1e-9  # design points on 0 or 1 are moved this far inside, so inverse CDFs stay finite


def _salib() -> tuple[Any, Any]:
    try:
        from SALib.analyze import sobol as analyze
        from SALib.sample import sobol as sample
    except ImportError:
        raise SimError(
            "--method saltelli needs SALib, an optional dependency: install it with "
            "`pip install SALib` (it is in sim's dev extra: pip install -e '.[dev]'), or use "
            "the default --method given-data"
        ) from None
    return analyze, sample


def base_points(draws: int, dimensions: int) -> int:
    """The largest power of two N with N (D + 2) model runs within ``draws``."""
    per_point = dimensions + 2
    if draws < MIN_BASE * per_point:
        raise SimError(
            f"--draws: a Saltelli design for {dimensions} parameters needs at least "
            f"{MIN_BASE * per_point:,} draws ({MIN_BASE} base points × {per_point} runs)"
        )
    return 2 ** math.floor(math.log2(draws / per_point))


def upstream_parameters(setup: Setup) -> tuple[str, ...]:
    """The uncertain parameters that can move the targets: those of the components upstream of
    the targets' indicators (by their reads), and the elasticities those components read. In
    the design's independent model every other parameter has an index of exactly zero."""
    comps = components()
    stack = [writer_of(t.indicator, comps) for t in setup.targets if t.indicator is not None]
    seen: dict[str, Component] = {}
    while stack:
        comp = stack.pop()
        if comp is None or comp.name in seen:
            continue
        seen[comp.name] = comp
        stack.extend(writer_of(key, comps) for key in comp.reads)
    outputs = {o for c in seen.values() for o in c.outputs}
    keep = []
    for pid in setup.params:
        head, _, rest = pid.partition(".")
        if head in seen or (head == "lever" and rest.partition(".")[2] in outputs):
            keep.append(pid)
    return tuple(keep)


def design_params(setup: Setup, u: np.ndarray) -> Params:
    """Every parameter for the design rows ``u`` (rows, D): design columns through the prior's
    inverse CDF, fixed parameters and the scenario's assumptions at their values."""
    n = u.shape[0]
    z = special.ndtri(np.clip(u, U_EDGE, 1 - U_EDGE))
    column = {pid: i for i, pid in enumerate(setup.params)}
    values = {}
    for pid, prior in parameters().items():
        if pid in column:
            values[pid] = np.asarray(prior.from_normal(z[:, column[pid]]), dtype=float)
        elif pid in setup.scenario.assumptions:
            values[pid] = np.full(n, float(setup.scenario.assumptions[pid]))
        else:
            values[pid] = np.asarray(prior.from_normal(np.zeros(n)), dtype=float)  # fixed
    return Params(values)


def simulate_design(setup: Setup, params: Params, chunk: int) -> dict[str, np.ndarray]:
    """The targets' indicators for one block of design rows, with chunk ``chunk``'s noise."""
    plan, sc = setup.plan, setup.scenario
    n = len(next(iter(params.values())))
    run = RunContext(n=n, params=params, levers=sc.levers, seed=plan.seed, chunk=chunk,
                     start=Start(plan.years[0], n))  # fmt: skip
    needed = sorted({t.indicator for t in setup.targets if t.indicator is not None})
    series = {ind: np.empty((n, len(plan.years))) for ind in needed}
    for col, state in enumerate(run_years(components(), run, plan.years)):
        for ind in needed:
            series[ind][:, col] = state[ind]
    return series


def _evaluate(
    setup: Setup, u: np.ndarray, on_progress: Callable[[int, int], None] | None
) -> tuple[np.ndarray, np.ndarray]:
    """(met, standardised judged value) of every design row, block by block."""
    rows, size = u.shape[0], setup.plan.chunk_size
    met = np.empty((rows, len(setup.targets)), dtype=bool)
    value = np.empty(met.shape)
    for chunk, start in enumerate(range(0, rows, size)):
        block = slice(start, min(start + size, rows))
        series = simulate_design(setup, design_params(setup, u[block]), chunk)
        met[block], value[block] = setup.outputs(series)
        if on_progress:
            on_progress(block.stop, rows)
    return met, value


def _indices(analyze: Any, problem: dict, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """SALib's S1 and its SE (half the 95 % interval / 1.96) for each column of ``y``."""
    s1, se = [], []
    for j in range(y.shape[1]):
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore")
            res = analyze.analyze(problem, y[:, j].astype(float), calc_second_order=False,
                                  num_resamples=RESAMPLES, seed=seed)  # fmt: skip
        s1.append(res["S1"])
        se.append(res["S1_conf"] / special.ndtri(0.975))
    return np.array(s1).T, np.array(se).T  # (parameters, targets)


def saltelli(setup: Setup, on_progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """The estimates of :func:`sim.analysis.learn_tables.build`, from a Saltelli design."""
    analyze, sample = _salib()
    setup = replace(setup, params=upstream_parameters(setup))
    dims = len(setup.params)
    base = base_points(setup.plan.draws, dims)
    problem = {"num_vars": dims, "names": list(setup.params), "bounds": [[0.0, 1.0]] * dims}
    seed = setup.plan.seed % 2**32
    u = sample.sample(problem, base, calc_second_order=False, scramble=True, seed=seed)
    met, value = _evaluate(setup, u, on_progress)
    s_met, s_met_se = _indices(analyze, problem, met, seed)
    s_value, s_value_se = _indices(analyze, problem, value, seed)
    step = dims + 2
    ab = np.concatenate([np.arange(base) * step, np.arange(base) * step + step - 1])
    index = np.minimum((u[ab] * BINS).astype(np.int64), BINS - 1)  # the prior's quantile bins
    hits = np.stack([bin_sums(index[:, i], met[ab], BINS).s1 for i in range(dims)])
    counts = np.stack([np.bincount(index[:, i], minlength=BINS) for i in range(dims)])
    counts = np.broadcast_to(counts[:, None, :].astype(float), hits.shape)
    p_met = met[ab].mean(axis=0)
    return {
        "params": setup.params,
        "draws": int(u.shape[0]),
        "p_met": p_met,
        "p_met_se": np.sqrt(p_met * (1 - p_met) / len(ab)),
        "s_met": s_met,
        "s_met_se": s_met_se,
        "s_value": s_value,
        "s_value_se": s_value_se,
        **value_of_information(counts, hits),
        "notes": (
            f"Saltelli design (SALib): {base:,} base points × {step} runs = {u.shape[0]:,} "
            "model runs; parameters drawn independently (the common-factor copula is left "
            f"out); P(met) and the 10th/90th-percentile values from the {len(ab):,} draws of "
            f"the A and B matrices; the {dims} parameters of the components upstream of the "
            "targets (every other one has an index of zero in this independent model)",
        ),
    }
