"""The firm pipeline against hand calculations and an analytic special case."""

from __future__ import annotations

import numpy as np
import pytest
from contract import ComponentContract
from harness import context
from scipy import stats

from sim.models import firms
from sim.models.contract import Context
from sim.models.firms import advance
from sim.runner import run
from sim.scenario import status_quo

PIPELINE_PARAMS = {
    "firms.exit_hazard": 0.0, "firms.sme_shock_loading": 0.0, "firms.sme_dispersion": 1e9,
    "firms.project_shock_loading": 0.0, "firms.project_dispersion": 1e9,
    "firms.project_conversion": 0.0, "firms.pass_rate": 0.5, "firms.renewal_apply": 1.0,
    "firms.renewal_pass": 1.0,
}  # fmt: skip
EFFECTS = ("tech_smes_registered", "scitech_projects_attracted", "hightech_certified_new",
           "hightech_enterprises", "cultivation_pool", "zjtx_new")  # fmt: skip


class TestContract(ComponentContract):
    COMPONENT = firms.COMPONENT


def ctx_with(n: int, **overrides: float) -> Context:
    """The firms component's context, the pipeline's rates fixed (the others drawn, unused)."""
    return context(firms.COMPONENT, n, seed=1, fixed={**PIPELINE_PARAMS, **overrides})


def step_once(ctx: Context, cohorts, sme_mean=0.0, project_mean=0.0, pending=(0, 0)):
    n = ctx.n
    return advance(
        ctx, np.tile(np.array(cohorts, dtype=np.int64), (n, 1)),
        np.tile(np.array(pending, dtype=np.int64), (n, 1)), np.full(n, float(sme_mean)),
        np.full(n, float(project_mean)), np.zeros(n), {k: np.ones(n) for k in EFFECTS},
        np.full(n, 0.5),
    )  # fmt: skip


def test_cohorts_age_by_one_year() -> None:
    y = step_once(ctx_with(4, **{"firms.renewal_apply": 0.0}), [5, 7, 10])
    assert y.cohorts.tolist() == [[0, 5, 7]] * 4
    assert y.up_for_renewal.tolist() == [10] * 4 and y.renewed.tolist() == [0] * 4


def test_a_renewed_cohort_starts_a_new_certificate() -> None:
    y = step_once(ctx_with(3), [0, 0, 10])
    assert y.cohorts.tolist() == [[10, 0, 0]] * 3
    assert y.renewed.tolist() == [10] * 3 and y.new.tolist() == [0] * 3


def test_a_failed_renewal_leaves_the_stock() -> None:
    y = step_once(ctx_with(3, **{"firms.renewal_pass": 0.0}), [4, 0, 10])
    assert y.cohorts.sum(axis=1).tolist() == [4] * 3


def test_project_certifications_arrive_when_due() -> None:
    y = step_once(ctx_with(2), [0, 0, 0], pending=(3, 5))
    assert y.new.tolist() == [3, 3] and y.from_projects.tolist() == [3, 3]
    assert y.pending.tolist() == [[5, 0]] * 2


def test_exits_are_binomial() -> None:
    n, h = 4000, 0.1
    y = step_once(ctx_with(n, **{"firms.exit_hazard": h, "firms.renewal_apply": 0.0}),
                  [1000, 1000, 1000])  # fmt: skip
    sd = np.sqrt(3000 * h * (1 - h))
    assert abs(y.exits.mean() - 300) < 5 * sd / np.sqrt(n)
    assert y.exits.std() == pytest.approx(sd, rel=0.1)


def test_stock_without_renewals_or_exits_is_poisson() -> None:
    """Every rate fixed, no renewals, exits or projects: new certifications are a thinned
    Poisson (registrations × 0.5 apply × 0.5 pass = 100 a year), and the 2025 stock is the
    three cohorts 2023–2025, Poisson(300)."""
    sc = status_quo("analytic", draws=20_000, seed=7).with_assumptions(**{
        "firms.exit_hazard": 0.0, "firms.renewal_apply": 0.0, "firms.project_conversion": 0.0,
        "firms.sme_trend": 0.0, "firms.sme_dispersion": 1e9, "firms.sme_shock_loading": 0.0,
        "firms.sme_registrations_2022": 400.0, "firms.pass_rate": 0.5,
        "firms.new_cert_rate_2022": 100.0,
    })  # fmt: skip
    res = run(sc)
    n = res.manifest["draws"]
    stock = res.trajectories.query("indicator == 'hightech_enterprises' and year == 2025")
    assert stock["mean"].item() == pytest.approx(300, abs=5 * np.sqrt(300 / n))
    # P(stock >= 300) from the exact histogram against the Poisson law
    values = res.sample["value"].sel(indicator="hightech_enterprises", year=2025).values
    assert np.all(values == np.round(values))
    p_model = (values >= 300).mean()
    p_true = stats.poisson.sf(299, 300)
    se = np.sqrt(p_true * (1 - p_true) / values.size)
    assert abs(p_model - p_true) < 5 * se
    ks = stats.kstest(values, stats.poisson(300).cdf)
    assert ks.statistic < 0.05
