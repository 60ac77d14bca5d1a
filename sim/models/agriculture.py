"""Agriculture: technologies promoted, varieties introduced and farmers trained by the bureau.

Three yearly plan outputs of the agriculture bureau (三(六)19), per draw, in year ``t``
(docs/model.md has the full specification):

1. **Routine programme.** ``routine_c,t = level_c · (1 + g)^(t−2022) · effect(c) · b_t`` with
   ``level_c`` the bureau's 2022 output (a prior: no data), ``g`` the trend, ``effect(c)`` =
   ``ctx.lever_effect(c)`` (agri_extension; it multiplies this routine rate) and
   ``b_t = exp(λ·z_t + σ·v_t − (λ² + σ²)/2)`` the year's budget factor, common to the three
   outputs, with ``z_t`` the macro shock (loading ``λ`` near 0) and ``v_t`` a budget shock.
2. **Plan.** Before 2023 the plan is the routine. From 2023 (the policy was issued in March
   2023) a bureau that adopted the policy's numbers (``A = 1``, drawn once per draw with
   probability ``floor_adoption``) plans at least ``floor_c · (1 + margin)``::

       plan_c,t = max(routine_c,t, A · floor_c · (1 + margin))

3. **Delivery.** The bureau schedules ``m = round(plan / q)`` items (demonstrations, variety
   trials, training places); each is completed and counted with probability ``q``, so
   ``count_c,t ~ Binomial(m, q)``: mean ≈ plan, less spread than Poisson, because the bureau
   controls what it counts.

Timing: agriculture steps last; it reads only this year's macro shock and its own start
state. Start state: the 2022 counts are drawn from the 2022 routine (no data); for the 2020
backcast the routine level is scaled back by two years of the drawn trend. ``A`` is drawn in
``init`` and kept in the state (``agriculture.adopted``). Parameters:
``sim/catalogue/parameters/agriculture.toml``.
"""

from __future__ import annotations

import numpy as np

from sim.models.contract import Component, Context, State, Updates

BASE_YEAR = 2022  # the year the routine levels refer to
FIRST_POLICY_YEAR = 2023  # the policy (docs/policy/) was issued on 2023-03-05

# indicator -> (routine level, policy floor, completion share) parameter ids
OUTPUTS = {
    "agri_technologies_promoted": (
        "agriculture.technologies_2022",
        "agriculture.technologies_floor",
        "agriculture.item_completion",
    ),
    "agri_varieties_introduced": (
        "agriculture.varieties_2022",
        "agriculture.varieties_floor",
        "agriculture.item_completion",
    ),
    "farmers_trained": (
        "agriculture.farmers_2022",
        "agriculture.farmers_floor",
        "agriculture.trainee_completion",
    ),
}


def deliver(rng: np.random.Generator, plan: np.ndarray, completion: np.ndarray) -> np.ndarray:
    """Items counted when ``round(plan / completion)`` are scheduled and each succeeds with
    probability ``completion``: Binomial, mean ≈ plan."""
    q = np.clip(completion, 1e-9, 1.0)  # guard: a completion of 0 fixed in a scenario
    scheduled = np.rint(np.maximum(plan, 0.0) / q).astype(np.int64)
    return rng.binomial(scheduled, q)


def init(state: State, ctx: Context) -> Updates:
    """Counts of the start year from the routine programme; the adoption draw."""
    p = ctx.params
    # 2020 is not observed: the 2022 routine is scaled back by two years of the drawn trend.
    growth = (1 + p["agriculture.trend"]) ** (ctx.start_year - BASE_YEAR)
    adopted = ctx.rng("adoption").random(ctx.n) < p["agriculture.floor_adoption"]
    out: Updates = {"agriculture.adopted": adopted.astype(float)}
    for ind, (level, _, completion) in OUTPUTS.items():
        out[ind] = deliver(ctx.rng(ind), p[level] * growth, p[completion])
    return out


def step(state: State, ctx: Context, year: int) -> Updates:
    """One year: routine programme, plan (with the policy floor from 2023), delivery."""
    p = ctx.params
    z = state["macro.shock"]
    v = ctx.rng("budget").standard_normal(ctx.n)
    lam, sigma = p["agriculture.shock_loading"], p["agriculture.budget_sd"]
    budget = np.exp(lam * z + sigma * v - 0.5 * (lam**2 + sigma**2))
    growth = (1 + p["agriculture.trend"]) ** (year - BASE_YEAR)
    floor_on = state["agriculture.adopted"] * float(year >= FIRST_POLICY_YEAR)
    margin = p["agriculture.plan_margin"]
    out: Updates = {"agriculture.adopted": state["agriculture.adopted"]}
    for ind, (level, floor, completion) in OUTPUTS.items():
        routine = p[level] * growth * ctx.lever_effect(ind) * budget
        plan = np.maximum(routine, floor_on * p[floor] * (1 + margin))
        out[ind] = deliver(ctx.rng(ind), plan, p[completion])
    return out


COMPONENT = Component(
    name="agriculture",
    outputs=tuple(OUTPUTS),
    reads=("macro.shock",),
    streams=(*OUTPUTS, "adoption", "budget"),
    init=init,
    step=step,
)
