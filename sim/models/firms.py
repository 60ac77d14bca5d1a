"""Firm pipeline: tech SMEs → certified high-tech enterprises (three-year cohorts) → pools.

Stock and flow, per draw, each year ``t`` in this order (docs/model.md has the full
specification, which the SimPy reference model follows too):

1. **Exits.** Every certified firm (cohorts certified in ``t-1``, ``t-2``, ``t-3``) leaves —
   closes, moves away, loses its certificate — with probability ``exit_hazard``.
2. **Registrations.** Tech SMEs registered ``R_t ~ Poisson(μ_t · exp(x_t − v_t/2) ·
   effect(tech_smes_registered) · shock)``: ``μ_t`` grows by ``sme_trend`` a year and the
   persistent level ``x_t = ψ x_{t−1} + s η_t`` (AR(1), ``v_t`` its variance) carries a good
   or bad year into the next (the register is mostly the same firms re-evaluated yearly).
3. **Attracted projects.** ``P_t ~ NegBin(project_rate_t · effect(...) · shock, k)``; each
   becomes certified with probability ``project_conversion``, half in ``t+1``, half in ``t+2``.
4. **Review strictness.** ``u_t ~ N(0, review_strictness_sd)`` shifts the logit of both pass
   rates this year.
5. **Renewals.** Certificates last three years: surviving firms certified in ``t-3`` re-apply
   with probability ``renewal_apply`` (odds × effect(hightech_enterprises)) and pass with
   ``renewal_pass`` (logit + ``u_t``); renewed firms join cohort ``t``, the others drop out.
6. **New certifications.** SMEs apply with probability ``a_t · effect(hightech_certified_new)
   · (1 + φ(E_R − 1))/E_R`` — ``a_t = a · exp(−depletion · C_{t−1}/B)`` falls with the
   first certifications ``C`` since the start over the registrant base ``B``; lever-induced
   registrants (share ``1 − 1/E_R``) apply at ``φ = induced_apply_ratio`` times the rate —
   and pass with ``pass_rate`` (logit + ``u_t``); plus projects attracted earlier.
7. **Cultivation pool** (雏鹰/瞪羚/独角兽 register): members leave with ``pool_exit``; new
   entries ``Poisson(pool_entry · certified stock · effect(cultivation_pool))``.
8. **专精特新.** New provincial recognitions ``Poisson(zjtx_rate · stock/stock_2022 · effect)``.

``shock`` is ``exp(loading · z − loading²/2)`` with the common macro shock ``z``.
The end-2022 cohorts are not published: they are built by running steps 1–6 for 2021 and
2022 from the December-2020 stock of 228, split into cohorts by a prior, with 2022's
certifications set to the observed 114 — read, per draw, as first certifications and
renewals together (with probability ``observed_new_inclusive``) or as first certifications
only. Parameters: ``sim/catalogue/parameters/firms.toml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.models.common import mean_one_shock, negative_binomial, odds_scaled
from sim.models.contract import Component, Context, State, Updates
from sim.models.start import BASE_YEAR
from sim.models.trend import Breaks

# Counting rules of tech-SME registration (入库) and of attracted projects change now and then
# (the 2022 tie of the super-deduction to 入库; what counts as a 科创项目): breaks pooled from
# the provinces' certification listings, applied to the reported counts only.
COUNTING = Breaks(
    "firms.count", "certification_listings", ("tech_smes_registered", "scitech_projects_attracted")
)

# Observations used (observations.csv): high-tech stock Dec 2020 = 228 (reported); new
# certifications 2022 = 114 (prelim); attracted projects 2022 = 61 (prelim).

# Years a certificate is valid: sizes the cohort array and picks the cohort up for renewal.
# A module constant so that tests can break it on purpose (the crosscheck must notice).
CERTIFICATE_YEARS = 3
STOCK_YEAR = 2020  # December 2020: the last published certified stock (228)


@dataclass
class Year:
    """What one year of the pipeline produced (all arrays of shape (draws,))."""

    cohorts: np.ndarray  # (draws, 3): certified this year, one year ago, two years ago
    pending: np.ndarray  # (draws, 2): project certifications due next year, the year after
    registered: np.ndarray
    projects: np.ndarray
    applications: np.ndarray
    new: np.ndarray
    from_projects: np.ndarray
    up_for_renewal: np.ndarray
    renewed: np.ndarray
    exits: np.ndarray
    passed: np.ndarray  # first certifications of registered SMEs (new − from_projects)


def apply_probability(
    p: Mapping[str, np.ndarray], apply_share: np.ndarray, effects: Mapping[str, np.ndarray]
) -> np.ndarray:
    """Probability that a registered SME applies: ``min(1, a_t · E_C · (1 + φ(E_R − 1))/E_R)``.

    Of the registrants a share ``1 − 1/E_R`` is induced by the registration levers; they
    apply at ``φ = firms.induced_apply_ratio`` times the rate of the status-quo base.
    """
    e_r = effects["tech_smes_registered"]
    induced = (1.0 + p["firms.induced_apply_ratio"] * (e_r - 1.0)) / e_r
    return np.minimum(apply_share * effects["hightech_certified_new"] * induced, 1.0)


def advance(
    ctx: Context,
    cohorts: np.ndarray,
    pending: np.ndarray,
    sme_mean: np.ndarray,
    project_mean: np.ndarray,
    z: np.ndarray,
    effects: dict[str, np.ndarray],
    apply_share: np.ndarray,
    new_certified: float | None = None,
    projects: float | None = None,
    inclusive: np.ndarray | None = None,
) -> Year:
    """Steps 1–6 for one year. ``sme_mean`` (persistent level included), ``project_mean``:
    expected counts before levers and shock; ``apply_share``: this year's depleted ``a_t``.
    Observed ``new_certified``/``projects`` replace the simulated counts (2022 start state);
    ``inclusive`` (bool per draw) reads ``new_certified`` as first plus renewed certifications.
    """
    p = ctx.params
    # 1. exits through the year, cohort by cohort
    survivors = ctx.rng("exits").binomial(cohorts, 1.0 - p["firms.exit_hazard"][:, None])
    exits = (cohorts - survivors).sum(axis=1)
    mean_r = (  # 2. registrations around the persistent level
        sme_mean * effects["tech_smes_registered"] * mean_one_shock(p["firms.sme_shock_loading"], z)
    )
    registered = ctx.rng("registrations").poisson(np.maximum(mean_r, 0.0))
    # 3. attracted projects, and when the certifications they will bring fall due
    attracted, new_pending = _projects(ctx, pending, project_mean, z, effects, projects)
    from_projects = pending[:, 0]
    strictness = np.exp(  # 4. this year's review strictness: a logit shift of both pass rates
        p["firms.review_strictness_sd"] * ctx.rng("strictness").standard_normal(ctx.n)
    )
    # 5. renewals of certificates granted three years ago
    expiring, renewed = _renewals(ctx, survivors, effects, strictness)
    # 6. first certifications of registered SMEs
    applications = ctx.rng("applications").binomial(
        registered, apply_probability(p, apply_share, effects)
    )
    if new_certified is None:
        passed = ctx.rng("review").binomial(
            applications, odds_scaled(p["firms.pass_rate"], strictness)
        )
    else:
        also = 0 if inclusive is None else np.where(inclusive, renewed, 0)
        passed = np.maximum(np.rint(new_certified) - from_projects - also, 0).astype(np.int64)
    new = passed + from_projects
    new_cohorts = np.column_stack([new + renewed, survivors[:, : CERTIFICATE_YEARS - 1]])
    return Year(
        new_cohorts,
        new_pending,
        registered,
        attracted,
        applications,
        new,
        from_projects,
        expiring,
        renewed,
        exits,
        passed,
    )


def _renewals(
    ctx: Context, survivors: np.ndarray, effects: dict[str, np.ndarray], strictness: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Step 5: the surviving firms whose certificate expires, and those renewed (re-apply with
    odds × effect(hightech_enterprises), pass with π_r at this year's strictness)."""
    p = ctx.params
    expiring = survivors[:, CERTIFICATE_YEARS - 1]
    reapply_p = odds_scaled(p["firms.renewal_apply"], effects["hightech_enterprises"])
    reapplied = ctx.rng("renewals").binomial(expiring, reapply_p)
    renewed = ctx.rng("renewal_review").binomial(
        reapplied, odds_scaled(p["firms.renewal_pass"], strictness)
    )
    return expiring, renewed


def _projects(
    ctx: Context,
    pending: np.ndarray,
    project_mean: np.ndarray,
    z: np.ndarray,
    effects: dict[str, np.ndarray],
    observed: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Step 3: projects attracted (or the observed count) and the certifications they bring,
    half due next year and half the year after; returns (attracted, new pending)."""
    p = ctx.params
    if observed is None:
        mean_p = (
            project_mean
            * effects["scitech_projects_attracted"]
            * mean_one_shock(p["firms.project_shock_loading"], z)
        )
        attracted = negative_binomial(ctx.rng("projects"), mean_p, p["firms.project_dispersion"])
    else:
        attracted = np.full(ctx.n, observed, dtype=np.int64)
    rng_conv = ctx.rng("conversions")
    converting = rng_conv.binomial(attracted, p["firms.project_conversion"])
    next_year = rng_conv.binomial(converting, 0.5)
    return attracted, np.stack([pending[:, 1] + next_year, converting - next_year], axis=1)


def _no_effects(n: int) -> dict[str, np.ndarray]:
    one = np.ones(n)
    return dict.fromkeys(
        (
            "tech_smes_registered",
            "scitech_projects_attracted",
            "hightech_certified_new",
            "hightech_enterprises",
            "cultivation_pool",
            "zjtx_new",
        ),
        one,
    )


def _stock_2020(ctx: Context) -> np.ndarray:
    """The December-2020 stock of 228 split into cohorts certified in 2020, 2019, 2018."""
    p = ctx.params
    total = ctx.start.observed("hightech_enterprises", STOCK_YEAR)
    young = np.rint(total * p["firms.cohort_share_2020"])
    middle = np.rint((total - young) * p["firms.cohort_share_2019_of_rest"])
    # The oldest valid cohort takes the rest (zeros beyond it if certificates last longer).
    parts = [young, middle][: CERTIFICATE_YEARS - 1]
    rest = total - sum(parts)
    padding = [np.zeros_like(rest)] * (CERTIFICATE_YEARS - 1 - len(parts))
    return np.stack([*parts, rest, *padding], axis=1).astype(np.int64)


def _apply_share(
    p: Mapping[str, np.ndarray],
    projects_2020: np.ndarray,
    projects_2021: np.ndarray,
    expiring_2022: np.ndarray,
    inclusive: np.ndarray,
) -> np.ndarray:
    """The share of registered SMEs that apply for certification, calibrated per draw.

    Set so that the expected certifications of 2022 equal the rate behind the observed 114,
    given the drawn pass rates and registrations (the status quo reproduces the pre-2023
    flow). Expected project certifications due in 2022: half the conversions of 2020's and
    of 2021's projects. Under the inclusive reading the 114 also hold the expected renewals
    of 2022: the cohort due in 2022 (``expiring_2022`` at the end of 2020) × (1 − h)² × ρ ×
    π_r, review strictness at its centre. The share may exceed 1 in a few draws; min(1, ·)
    applies at use.
    """
    expected = p["firms.project_conversion"] * (projects_2020 + projects_2021) / 2
    survive = (1.0 - p["firms.exit_hazard"]) ** 2
    renewals = expiring_2022 * survive * p["firms.renewal_apply"] * p["firms.renewal_pass"]
    from_smes = p["firms.new_cert_rate_2022"] - expected - np.where(inclusive, renewals, 0.0)
    return np.maximum(from_smes / (p["firms.pass_rate"] * p["firms.sme_registrations_2022"]), 0.0)


def _history(
    ctx: Context,
    cohorts: np.ndarray,
    due: np.ndarray,
    apply_share: np.ndarray,
    inclusive: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, Year | None]:
    """The pipeline from the December-2020 stock to the start year, with the observed flows;
    returns the cohorts, the pending conversions and the last year run (None if none)."""
    p = ctx.params
    history = ctx.rng("history_shock")
    last: Year | None = None
    for year in range(STOCK_YEAR + 1, ctx.start.year + 1):
        back = BASE_YEAR - year
        last = advance(
            ctx,
            cohorts,
            due,
            p["firms.sme_registrations_2022"] / (1 + p["firms.sme_trend"]) ** back,
            p["firms.project_rate_2022"] / (1 + p["firms.project_trend"]) ** back,
            history.standard_normal(ctx.n),
            _no_effects(ctx.n),
            apply_share,
            new_certified=ctx.start.observed_or_none("hightech_certified_new", year),
            projects=ctx.start.observed_or_none("scitech_projects_attracted", year),
            inclusive=inclusive,
        )
        cohorts, due = last.cohorts, last.pending
    return cohorts, due, last


def init(state: State, ctx: Context) -> Updates:
    """End-of-start-year state: cohorts, pending conversions, rates and pools."""
    p = ctx.params
    n = ctx.n
    start = ctx.start
    trend = p["firms.sme_trend"]
    project_2022 = p["firms.project_rate_2022"]
    project_trend = p["firms.project_trend"]
    # Certifications from projects attracted in 2019–2020, due in 2021 and 2022.
    earlier_projects = project_2022 / (1 + project_trend) ** 2
    due = ctx.rng("conversions").poisson(
        np.stack([earlier_projects, earlier_projects / 2], axis=1)
        * p["firms.project_conversion"][:, None]
    )
    cohorts = _stock_2020(ctx)
    # Does the observed 114 of 2022 count renewals (认定 incl. 重新认定)? Per draw.
    inclusive = ctx.rng("reading").random(n) < p["firms.observed_new_inclusive"]
    expiring_2022 = cohorts[:, CERTIFICATE_YEARS - 2]  # due for review in 2022
    apply_share = _apply_share(
        p, earlier_projects, project_2022 / (1 + project_trend), expiring_2022, inclusive
    )
    cohorts, due, last = _history(ctx, cohorts, due, apply_share, inclusive)
    sme_mean = start.carry_back(p["firms.sme_registrations_2022"], 1 + trend)
    if last is None:  # the run starts in the stock year itself: its flows are not observed
        registered = ctx.rng("registrations").poisson(sme_mean)
        projects = ctx.rng("projects").poisson(earlier_projects)
        new = cohorts[:, 0]
        renewed = exits = up = np.zeros(n, dtype=np.int64)
    else:
        registered, projects, new = last.registered, last.projects, last.new
        renewed, exits, up = last.renewed, last.exits, last.up_for_renewal
    zero = np.zeros(n)
    reported = new + np.where(inclusive, renewed, 0)  # counted as the 114 were counted
    return {
        "firms.cohorts": cohorts,
        "firms.pending": due,
        "firms.sme_mean": sme_mean,
        "firms.sme_base": sme_mean,
        "firms.sme_level": zero,
        "firms.sme_count_break": zero,
        "firms.project_count_break": zero,
        "firms.sme_level_var": zero,
        "firms.first_certified": zero,
        "firms.project_mean": start.carry_back(project_2022, 1 + project_trend),
        "firms.stock_start": cohorts.sum(axis=1).astype(float),
        "firms.apply_share": apply_share,
        "hightech_enterprises": cohorts.sum(axis=1),
        "hightech_certified_new": reported,
        "firms.inclusive": inclusive,
        "tech_smes_registered": registered,
        "scitech_projects_attracted": projects,
        "cultivation_pool": ctx.rng("pool").poisson(p["firms.pool_2022"]),
        "zjtx_new": ctx.rng("zjtx").poisson(p["firms.zjtx_rate"]),
        "firms.renewed": renewed,
        "firms.exits": exits,
        "firms.up_for_renewal": up,
    }


def _sme_level(ctx: Context, state: State) -> tuple[np.ndarray, np.ndarray]:
    """The persistent log level of registrations: ``x_t = ψ x_{t−1} + s η_t`` and its
    variance ``v_t = ψ² v_{t−1} + s²`` (``exp(x_t − v_t/2)`` has mean one)."""
    p = ctx.params
    psi, s = p["firms.sme_persistence"], p["firms.sme_innovation_sd"]
    level = psi * state["firms.sme_level"] + s * ctx.rng("sme_level").standard_normal(ctx.n)
    return level, psi**2 * state["firms.sme_level_var"] + s**2


def _reported(count: np.ndarray, log_break: np.ndarray) -> np.ndarray:
    """A count as reported under the counting rules of the year (whole firms or projects)."""
    return np.rint(count * np.exp(log_break)).astype(np.int64)


def step(state: State, ctx: Context, year: int) -> Updates:
    """One year of the pipeline (steps 1–8 of the module docstring)."""
    p = ctx.params
    z = state["macro.shock"]
    effects = {ind: ctx.lever_effect(ind) for ind in _no_effects(1)}
    sme_mean = state["firms.sme_mean"] * (1 + p["firms.sme_trend"])
    project_mean = state["firms.project_mean"] * (1 + p["firms.project_trend"])
    level, level_var = _sme_level(ctx, state)
    depleted = np.exp(
        -p["firms.depletion"]
        * state["firms.first_certified"]
        / np.maximum(state["firms.sme_base"], 1.0)
    )
    y = advance(
        ctx,
        state["firms.cohorts"],
        state["firms.pending"],
        sme_mean * np.exp(level - level_var / 2),
        project_mean,
        z,
        effects,
        state["firms.apply_share"] * depleted,
    )
    previous_stock = state["hightech_enterprises"]
    rng_pool = ctx.rng("pool")
    staying = rng_pool.binomial(state["cultivation_pool"], 1 - p["firms.pool_exit"])
    entering = rng_pool.poisson(
        p["firms.pool_entry"] * previous_stock * effects["cultivation_pool"]
    )
    growth = previous_stock / np.maximum(state["firms.stock_start"], 1.0)
    zjtx_mean = (
        p["firms.zjtx_rate"]
        * growth
        * effects["zjtx_new"]
        * mean_one_shock(p["firms.project_shock_loading"], z)
    )
    # counting rules change now and then: the reported counts jump once and for good
    rng_breaks = ctx.rng("count_breaks")
    sme_break = state["firms.sme_count_break"] + COUNTING.jumps(p, rng_breaks, ctx.n)
    project_break = state["firms.project_count_break"] + COUNTING.jumps(p, rng_breaks, ctx.n)
    return {
        "firms.cohorts": y.cohorts,
        "firms.pending": y.pending,
        "firms.sme_mean": sme_mean,
        "firms.sme_count_break": sme_break,
        "firms.project_count_break": project_break,
        "firms.sme_level": level,
        "firms.sme_level_var": level_var,
        "firms.first_certified": state["firms.first_certified"] + y.passed,
        "firms.project_mean": project_mean,
        "hightech_enterprises": y.cohorts.sum(axis=1),
        "hightech_certified_new": y.new + np.where(state["firms.inclusive"], y.renewed, 0),
        "tech_smes_registered": _reported(y.registered, sme_break),
        "scitech_projects_attracted": _reported(y.projects, project_break),
        "cultivation_pool": staying + entering,
        "zjtx_new": ctx.rng("zjtx").poisson(zjtx_mean),
        "firms.renewed": y.renewed,
        "firms.exits": y.exits,
        "firms.up_for_renewal": y.up_for_renewal,
    }


COMPONENT = Component(
    name="firms",
    outputs=(
        "hightech_enterprises",
        "hightech_certified_new",
        "tech_smes_registered",
        "cultivation_pool",
        "zjtx_new",
        "scitech_projects_attracted",
    ),
    reads=("macro.shock",),
    streams=(
        "exits",
        "registrations",
        "sme_level",
        "projects",
        "conversions",
        "applications",
        "review",
        "strictness",
        "renewals",
        "renewal_review",
        "reading",
        "history_shock",
        "pool",
        "zjtx",
        "count_breaks",
    ),
    init=init,
    step=step,
    diagnostics=("firms.renewed", "firms.exits", "firms.up_for_renewal"),
    breaks=(COUNTING,),
)
