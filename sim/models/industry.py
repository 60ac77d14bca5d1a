"""Industry component: the high-tech share of above-scale industrial output
(``hightech_output_share``, percent).

The share moves on the logit scale (it stays in (0, 100) for any input). Per draw, in year
``t`` (start year ``t0``; macro and firms have already stepped, so ``z_t`` and ``H_t`` are
this year's)::

    logit s_t = logit s_0 + W_t + β · F_t + λ z_t + ln E
    W_t       = W_{t-1} + μ + σ ε_t                              (persistent; W_0 = 0)
    F_t       = ln(H_t/H_0) − h_ref · (t − t0)

``μ`` is the drift of the share while the certified high-tech base grows at its 2020–22 pace
``h_ref = ln(H_2022 / 228) / 2`` (per draw; 228 observed in December 2020), so ``β · F``
moves the share only when the base grows faster or slower than then (``F = 0`` in the
backcast, whose years are that reference period). ``λ z_t`` is transitory: in a bad year the
high-tech part of output falls a little more than the rest. ``E =
ctx.lever_effect("hightech_output_share")`` multiplies the odds of the share, i.e. high-tech
output relative to other output, the driving rate of the share, as a level (no compounding):
every process lever acting on the share (project attraction, cultivation, 专精特新,
procurement, Dongjiang projects, technical upgrading) enters at once from 2023, and so does
``ctx.measurement_effect`` (the statistics lever, which moves the measured share only — the
only share this model has).

Start: 55.44 % in 2022 (reported, preferred over the January estimate of 56) or 54.3 % in 2020
(prelim) for the backcast. Parameters: ``sim/catalogue/parameters/industry.toml``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from sim.models.common import certified_growth_deviation
from sim.models.contract import Component, Context, State, Updates

# Observations used (observations.csv): hightech_output_share 2020 = 54.3 (prelim) and
# 2022 = 55.44 (reported, preferred); hightech_enterprises_stock 2020 = 228 (through h_ref).
PERCENT = 100.0
SHARE = "hightech_output_share"


def init(state: State, ctx: Context) -> Updates:
    """State at the end of the start year: the observed share."""
    share = ctx.start.full("hightech_output_share")
    return {
        "hightech_output_share": share,
        "industry.logit_start": logit(share / PERCENT),
        "industry.walk": np.zeros(ctx.n),
    }


def step(state: State, ctx: Context, year: int) -> Updates:
    """One year of the logit-scale random walk with drift, firm term, shock and levers."""
    p = ctx.params
    eps = ctx.rng("share").standard_normal(ctx.n)
    walk = state["industry.walk"] + p["industry.share_drift"] + p["industry.noise_sd"] * eps
    x = (
        state["industry.logit_start"]
        + walk
        + p["industry.firm_elasticity"] * certified_growth_deviation(state, ctx.start, year)
        + p["industry.shock_loading"] * state["macro.shock"]
        + np.log(ctx.lever_effect(SHARE) * ctx.measurement_effect(SHARE))
    )
    return {
        "hightech_output_share": PERCENT * expit(x),
        "industry.walk": walk,
    }


COMPONENT = Component(
    name="industry",
    outputs=(SHARE,),
    reads=("macro.shock", "hightech_enterprises", "firms.stock_start"),
    streams=("share",),
    init=init,
    step=step,
)
