"""Streaming a scenario's draws into per-bin sums: the engine's chunks, every parameter at once.

Per parameter, per equal-probability bin of its prior (:data:`~sim.analysis.sobol.BINS` bins,
edges from the prior's inverse CDF, so they depend on nothing random), the count, the number of
draws meeting each target and the sums of the first four powers of each standardised judged
value are added up. Memory is that table — parameters × bins × 5 × targets numbers, 17 MB for
the baseline's 127 uncertain parameters and 33 targets — whatever the number of draws. Blocks of
:data:`BLOCK_CHUNKS` chunks are summed in a fixed order, so the sums are the same bit for bit
with any number of worker processes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
from scipy import special

from sim.analysis.sobol import BINS, POWERS
from sim.engine import mapped, simulate_chunk
from sim.errors import SimError
from sim.models import components
from sim.plan import Plan
from sim.priors import Params, draw_parameters, parameters
from sim.scenario import Scenario
from sim.targets import Target, targets
from sim.validation import suggest

BLOCK_CHUNKS = 4  # chunks a worker sums before handing back; fixed, so sums never depend on jobs
MIN_DRAWS = 10 * BINS  # ten draws a bin on average: fewer and the bin means are mostly noise
WINSOR = 0.001  # judged values are clipped to the first chunk's 0.1 % and 99.9 % quantiles


@dataclass(frozen=True)
class Setup:
    """What every chunk needs: the scenario and plan, targets, parameters and their bins, and
    how judged values are clipped and standardised (fixed by the first chunk)."""

    scenario: Scenario
    plan: Plan
    targets: tuple[Target, ...]
    params: tuple[str, ...]
    edges: np.ndarray  # (parameters, BINS − 1): inner bin edges, the prior's quantiles
    low: np.ndarray  # (targets,): judged values are clipped to [low, high]
    high: np.ndarray
    centre: np.ndarray  # (targets,): then standardised as (x − centre) / scale
    scale: np.ndarray

    def outputs(self, series: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(met, standardised judged value), both (draws, targets)."""
        met = np.empty((len(next(iter(series.values()))), len(self.targets)), dtype=bool)
        judged = np.empty(met.shape)
        for j, t in enumerate(self.targets):
            assert t.indicator is not None and t.threshold is not None
            judged[:, j] = t.judged_value(series[t.indicator], self.plan.years)
            met[:, j] = judged[:, j] >= t.threshold
        clipped = np.clip(np.where(np.isnan(judged), self.centre, judged), self.low, self.high)
        return met, (clipped - self.centre) / self.scale


@dataclass
class Sums:
    """Per parameter and bin: draws, draws meeting each target, Σ zᵏ of each judged value."""

    n: np.ndarray  # (parameters, bins)
    met: np.ndarray  # (parameters, bins, targets)
    value: np.ndarray  # (POWERS, parameters, bins, targets)

    def add(self, other: Sums) -> None:
        """Add another block's sums in place."""
        self.n += other.n
        self.met += other.met
        self.value += other.value


def chunk_sums(setup: Setup, params: Params, series: dict[str, np.ndarray]) -> Sums:
    """The sums of one chunk, for every parameter at once.

    A sparse one-hot matrix (parameter × bin, draw) times the outputs (draw, columns) adds
    each draw's outputs into its bin of every parameter; float32 products (exact for the 0/1
    columns, ~1e-7 relative for the powers) summed into float64 across chunks.
    """
    from scipy import sparse  # here: `import sim` need not load scipy.sparse

    met, z = setup.outputs(series)
    n_draws, n_targets = met.shape
    n_params = len(setup.params)
    index = np.empty((n_params, n_draws), dtype=np.int64)
    for i, pid in enumerate(setup.params):
        index[i] = np.searchsorted(setup.edges[i], params[pid], side="right")
    rows = index + (np.arange(n_params) * BINS)[:, None]
    one_hot = sparse.csc_matrix(
        (np.ones(rows.size, dtype=np.float32), rows.T.ravel(),
         np.arange(0, rows.size + 1, n_params)),
        shape=(n_params * BINS, n_draws),
    )  # fmt: skip
    columns = np.concatenate([met, *(z**k for k in range(1, POWERS + 1))], axis=1)
    product = np.asarray(one_hot @ columns.astype(np.float32), dtype=float)
    product = product.reshape(n_params, BINS, POWERS + 1, n_targets)
    counts = np.bincount(rows.ravel(), minlength=n_params * BINS).astype(float)
    return Sums(
        n=counts.reshape(n_params, BINS),
        met=product[:, :, 0, :].copy(),
        value=np.moveaxis(product[:, :, 1:, :], 2, 0).copy(),
    )


def simulate(
    scenario: Scenario, plan: Plan, chunk: int, n: int
) -> tuple[Params, dict[str, np.ndarray]]:
    """One chunk as ``sim run`` draws it: its parameter draws and its series."""
    params = draw_parameters(plan.seed, chunk, n, scenario.assumptions)
    return params, simulate_chunk(scenario, chunk, n, plan.seed, plan.years)


def run_block(args: tuple[Setup, tuple[tuple[int, int], ...]]) -> Sums:
    """Simulate and sum a block of chunks, in order (runs in a worker process)."""
    setup, chunks = args
    total: Sums | None = None
    for chunk, n in chunks:
        sums = chunk_sums(setup, *simulate(setup.scenario, setup.plan, chunk, n))
        if total is None:
            total = sums
        else:
            total.add(sums)
    assert total is not None
    return total


# ---------------------------------------------------------------------- setting up


def modelled_targets(plan: Plan, scenario: Scenario, wanted: Sequence[str] | None) -> list[Target]:
    """The targets to analyse: those asked for (checked), else every modelled one."""
    produced = {o for c in components() for o in c.outputs}
    judged = {tid: t for tid, t in plan.targets_of(scenario).items() if t.indicator in produced}
    if not wanted:
        return list(judged.values())
    out = []
    for tid in wanted:
        if tid in judged:
            out.append(judged[tid])
            continue
        if tid in targets():
            why = "is qualitative" if not targets()[tid].quantitative else "is not modelled"
            raise SimError(f"--targets: {tid} {why}: it has no simulated value to explain")
        hint = suggest(tid, judged)
        raise SimError(f"--targets: unknown target {tid!r}" + (f"; did you mean {hint}?"
                       if hint else "; `sim targets` lists them"))  # fmt: skip
    return out


def uncertain_parameters(scenario: Scenario) -> list[str]:
    """Parameters that vary between draws and can move a target: not fixed by the catalogue
    or the scenario, and not the elasticity of a lever the scenario leaves at its status quo
    (its response there is 1 whatever the elasticity, so its index is exactly zero)."""
    return [pid for pid, prior in parameters().items()
            if prior.dist != "fixed" and pid not in scenario.assumptions
            and not idle_elasticity(pid, scenario)]  # fmt: skip


def idle_elasticity(pid: str, scenario: Scenario) -> bool:
    """Whether ``pid`` is the elasticity of a lever at its status quo in the scenario."""
    head, _, rest = pid.partition(".")
    return head == "lever" and rest.partition(".")[0] not in scenario.changed_levers


def prior_edges(pid: str, bins: int = BINS) -> np.ndarray:
    """The inner edges of ``bins`` equal-probability bins of the parameter's prior."""
    z = special.ndtri(np.arange(1, bins) / bins)
    return np.asarray(parameters()[pid].from_normal(z), dtype=float)


def make_setup(
    scenario: Scenario, plan: Plan, chosen: Sequence[Target], pilot: dict[str, np.ndarray]
) -> Setup:
    """The setup, with the clipping and standardisation of judged values from the pilot."""
    params = uncertain_parameters(scenario)
    edges = np.array([prior_edges(pid) for pid in params]).reshape(len(params), BINS - 1)
    judged = np.column_stack([t.judged_value(pilot[t.indicator], plan.years) for t in chosen
                              if t.indicator is not None])  # fmt: skip
    judged = np.where(np.isnan(judged), np.nanmedian(judged, axis=0), judged)
    low, high = np.quantile(judged, [WINSOR, 1 - WINSOR], axis=0)
    clipped = np.clip(judged, low, high)
    centre = clipped.mean(axis=0)
    scale = clipped.std(axis=0)
    return Setup(scenario, plan, tuple(chosen), tuple(params), edges, low, high, centre,
                 np.where(scale > 0, scale, 1.0))  # fmt: skip


# ---------------------------------------------------------------------- running


def given_data(
    setup: Setup,
    pilot: tuple[Params, dict[str, np.ndarray]],
    jobs: int = 1,
    executor: Executor | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Sums:
    """Sum every chunk of the plan: the pilot here, the rest in fixed blocks (in workers when
    ``jobs`` > 1 or an executor is given), added in chunk order."""
    plan = setup.plan
    chunks = plan.chunks()
    total = chunk_sums(setup, *pilot)
    done = chunks[0][1]
    if on_progress:
        on_progress(done, plan.draws)
    rest = chunks[1:]
    blocks = [(setup, tuple(rest[i : i + BLOCK_CHUNKS])) for i in range(0, len(rest), BLOCK_CHUNKS)]
    with mapped(run_block, blocks, jobs if len(blocks) > 1 else 1, executor) as results:
        for (_, block), sums in zip(blocks, results, strict=True):
            total.add(sums)
            done += sum(n for _, n in block)
            if on_progress:
                on_progress(done, plan.draws)
    return total
