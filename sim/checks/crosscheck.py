"""Statistical crosscheck of the vectorized firm pipeline against the SimPy reference model.

Both models run the same scenario on the same parameter draws: the vectorized model on chunk
0 of the engine (``simulate_chunk``), the reference (``sim.checks.reference``) one replication per
draw with its own random numbers. For every pipeline series and year the table compares the
two samples three ways:

- ``z``: difference of the means in units of the standard error of a difference of two
  independent means, ``(m_v − m_r) / sqrt(s_v²/n_v + s_r²/n_r)``. The two samples share
  their parameter draws, so they are positively correlated and this SE is conservative;
- ``z_paired``: the same difference in units of the SE of the mean of the per-draw
  differences ``v_i − r_i``. Under the null hypothesis (both implement the same model) the
  differences of a draw are independent, identically distributed and centred on 0, so this
  is a valid and much sharper test: the parameter uncertainty cancels;
- ``p``: a chi-square test of homogeneity on a 2 × B table of counts in B bins cut at
  quantiles of the pooled sample (adjacent values merged so every bin holds at least
  1/B of the pooled draws). Chosen over Kolmogorov–Smirnov and Anderson–Darling because the
  series are integer counts with many ties: the KS p-value assumes continuous data and is
  conservative with ties, and scipy's k-sample Anderson–Darling p-value is clipped to
  [0.001, 0.25], above the per-test threshold needed here. Binning whole values handles
  ties exactly and gives a proper small p-value.

Tolerance: a family-wise false-alarm rate ``alpha`` (default 0.001) shared by Bonferroni
over the three tests of every non-constant row, so each test runs at
``alpha_test = alpha / (3 · rows)``: a row passes when ``|z|`` and ``|z_paired|`` are below
``Φ⁻¹(1 − alpha_test/2)`` (≈ 4.4 for 36 rows) and ``p`` is above ``alpha_test`` (≈ 1e-5).
The whole check then fails by chance with probability at most ``alpha``. Rows where both
samples are the same constant (e.g. the observed 114 certifications of 2022) pass trivially.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.checks.reference import SERIES, ReferenceRun, run_reference
from sim.engine import simulate_chunk
from sim.scenario import Scenario

YEARS = (2022, 2023, 2024, 2025)
ALPHA = 1e-3  # family-wise probability that a correct pair of models is reported as failed
TESTS_PER_ROW = 3  # z, z_paired, chi-square
MAX_BINS = 20
MIN_PER_BIN = 20  # pooled draws per bin: ≥ 10 expected per cell with equal sample sizes


@dataclass(frozen=True)
class CrosscheckReport:
    """The comparison table, the tolerance used, the verdict and the speed of both models."""

    scenario: str
    draws: int
    seed: int
    table: pd.DataFrame
    alpha: float
    alpha_test: float
    z_limit: float
    vectorized_seconds: float
    reference_seconds: float
    reference_jobs: int

    @property
    def passed(self) -> bool:
        """Whether every row passed."""
        return bool(self.table["passed"].all())

    @property
    def verdict(self) -> str:
        """``"passed"`` or ``"failed"``."""
        return "passed" if self.passed else "failed"

    @property
    def failed_rows(self) -> pd.DataFrame:
        """The rows that did not pass."""
        return self.table[~self.table["passed"]]

    @property
    def speed_ratio(self) -> float:
        """Reference replications per second ÷ vectorized draws per second (wall clock)."""
        return self.vectorized_seconds / self.reference_seconds

    def to_text(self) -> str:
        """The report as plain text (table, tolerance, verdict, speeds)."""
        return format_report(self)


def _degenerate(v: np.ndarray, r: np.ndarray) -> bool:
    """Both samples the same constant: nothing to test."""
    return bool(np.all(v == v[0]) and np.all(r == v[0]))


def _z(diff: float, se: float) -> float:
    if se > 0:
        return diff / se
    return 0.0 if diff == 0 else float(np.copysign(np.inf, diff))


def chi_square_p(v: np.ndarray, r: np.ndarray) -> tuple[float, int]:
    """p-value of the chi-square homogeneity test of two samples of counts, and the bins.

    Bins are runs of adjacent values of the pooled sample, each holding at least
    ``N / B`` pooled draws (``B = min(20, N / 20)``); a too-small last run joins the one
    before. One bin (a constant pooled sample) gives p = 1.
    """
    pooled = np.concatenate([v, r])
    target_bins = max(2, min(MAX_BINS, pooled.size // MIN_PER_BIN))
    per_bin = pooled.size / target_bins
    values, counts = np.unique(pooled, return_counts=True)
    uppers: list[float] = []  # largest value of each bin
    filled = 0
    for value, c in zip(values, counts, strict=True):
        filled += c
        if filled >= per_bin:
            uppers.append(value)
            filled = 0
    if filled and uppers:  # a short last run joins the previous bin
        uppers[-1] = values[-1]
    elif filled:
        uppers.append(values[-1])
    if len(uppers) < 2:
        return 1.0, len(uppers)
    edges = np.array(uppers[:-1])
    table = np.stack(
        [
            np.bincount(np.searchsorted(edges, v, side="left"), minlength=len(uppers)),
            np.bincount(np.searchsorted(edges, r, side="left"), minlength=len(uppers)),
        ]
    )
    result = stats.chi2_contingency(table, correction=False)
    return float(result.pvalue), len(uppers)


def compare(
    vectorized: dict[str, np.ndarray],
    reference: dict[str, np.ndarray],
    years: tuple[int, ...] = YEARS,
    alpha: float = ALPHA,
) -> tuple[pd.DataFrame, float, float]:
    """The comparison table of two sets of (draws, years) series, paired by draw.

    Returns the table, the per-test significance level and the |z| limit (see the module
    docstring for the statistics and the tolerance).
    """
    rows = []
    for name in SERIES:
        v_all, r_all = np.asarray(vectorized[name], float), np.asarray(reference[name], float)
        if v_all.shape != r_all.shape:
            raise ValueError(f"{name}: shapes differ, {v_all.shape} vs {r_all.shape}")
        for col, year in enumerate(years):
            v, r = v_all[:, col], r_all[:, col]
            n = v.size
            mv, mr, sv, sr = v.mean(), r.mean(), v.std(ddof=1), r.std(ddof=1)
            d = v - r
            degenerate = _degenerate(v, r)
            p, bins = (1.0, 1) if degenerate else chi_square_p(v, r)
            rows.append(
                {
                    "series": name,
                    "year": year,
                    "mean_vectorized": mv,
                    "mean_reference": mr,
                    "sd_vectorized": sv,
                    "sd_reference": sr,
                    "z": _z(mv - mr, np.sqrt(sv**2 / n + sr**2 / n)),
                    "z_paired": _z(d.mean(), d.std(ddof=1) / np.sqrt(n)),
                    "p": p,
                    "bins": bins,
                    "degenerate": degenerate,
                }
            )
    table = pd.DataFrame(rows)
    tested = max(int((~table["degenerate"]).sum()), 1)
    alpha_test = alpha / (TESTS_PER_ROW * tested)
    z_limit = float(stats.norm.isf(alpha_test / 2))
    table["passed"] = table["degenerate"] | (
        (table["z"].abs() < z_limit)
        & (table["z_paired"].abs() < z_limit)
        & (table["p"] > alpha_test)
    )
    return table, alpha_test, z_limit


def crosscheck(
    scenario: Scenario,
    draws: int,
    seed: int,
    *,
    jobs: int = 1,
    alpha: float = ALPHA,
    reference: ReferenceRun | None = None,
) -> CrosscheckReport:
    """Run the vectorized and the reference model on the same ``draws`` parameter draws of
    ``scenario`` (chunk 0 of ``seed``) and compare every firm-pipeline series and year.

    ``jobs`` worker processes run the reference (results do not depend on it). A
    ``reference`` run made earlier for the same scenario, draws and seed can be passed to
    skip rerunning it (the reference does not depend on the vectorized code).
    """
    t0 = time.perf_counter()
    vectorized = simulate_chunk(scenario, 0, draws, seed, YEARS)
    vectorized_seconds = time.perf_counter() - t0
    if reference is None:
        reference = run_reference(scenario, draws, seed, YEARS, jobs=jobs)
    elif (reference.scenario_hash, reference.draws, reference.seed, reference.years) != (
        scenario.hash(),
        draws,
        seed,
        YEARS,
    ):
        raise ValueError("the reference run was made for another scenario, draws, seed or years")
    table, alpha_test, z_limit = compare(vectorized, reference.series, YEARS, alpha)
    return CrosscheckReport(
        scenario=scenario.name,
        draws=draws,
        seed=seed,
        table=table,
        alpha=alpha,
        alpha_test=alpha_test,
        z_limit=z_limit,
        vectorized_seconds=vectorized_seconds,
        reference_seconds=reference.seconds,
        reference_jobs=reference.jobs,
    )


def format_report(report: CrosscheckReport) -> str:
    """Plain-text rendering of a :class:`CrosscheckReport`."""
    t = report.table
    lines = [
        f"crosscheck of the firm pipeline: scenario {report.scenario!r}, "
        f"{report.draws} draws, seed {report.seed}",
        "",
        f"{'series':<28}{'year':>5}{'mean vec':>10}{'mean ref':>10}{'sd vec':>9}"
        f"{'sd ref':>9}{'z':>7}{'z pair':>8}{'p':>10}  ok",
    ]
    for row in t.itertuples():
        lines.append(
            f"{row.series:<28}{row.year:>5}{row.mean_vectorized:>10.1f}{row.mean_reference:>10.1f}"
            f"{row.sd_vectorized:>9.1f}{row.sd_reference:>9.1f}{row.z:>7.2f}{row.z_paired:>8.2f}"
            f"{row.p:>10.2g}  {'yes' if row.passed else 'NO'}"
        )
    vec_rate = report.draws / report.vectorized_seconds
    ref_rate = report.draws / report.reference_seconds
    lines += [
        "",
        f"tolerance: family-wise alpha {report.alpha:g}, Bonferroni over "
        f"{TESTS_PER_ROW} tests × {int((~t['degenerate']).sum())} rows: "
        f"|z|, |z paired| < {report.z_limit:.2f} and chi-square p > {report.alpha_test:.2g}",
        f"verdict: {report.verdict}"
        + (f" ({len(report.failed_rows)} rows flagged)" if not report.passed else ""),
        f"speed: reference {ref_rate:,.0f} replications/s ({report.reference_jobs} jobs), "
        f"vectorized {vec_rate:,.0f} draws/s (all components); "
        f"ratio {report.speed_ratio:.2g} (vectorized ≈ {1 / report.speed_ratio:,.0f}× faster)",
    ]
    return "\n".join(lines)
