"""Industry component: the high-tech share of above-scale industrial output
(``hightech_output_share``, percent).

The share moves on the logit scale (it stays in (0, 100) for any input) along the outside-view
trend of its reference class (:mod:`sim.models.trend`: drift, persistent and transitory change,
breaks such as a revision of the high-tech product catalogue). Per draw, in year ``t`` (macro
has already stepped, so ``z_t`` is this year's)::

    logit s_t = logit s_0 + W_t + e_t + λ z_t + ln E

``W_t`` is the trend's persistent walk and ``e_t`` its transitory part (``W_0 = −e_0``: the
published start holds a transitory part too). ``λ z_t`` is transitory: in a bad year the
high-tech part of output falls a little more than the rest. ``E =
ctx.lever_effect("hightech_output_share")`` multiplies the odds of the share, i.e. high-tech
output relative to other output, the driving rate of the share, as a level (no compounding):
every process lever acting on the share (project attraction, cultivation, 专精特新,
procurement, Dongjiang projects, technical upgrading) enters at once from 2023, and so does
``ctx.measurement_effect`` (the statistics lever, which moves the measured share only — the
only share this model has). The certified high-tech base does not enter separately: the
class's drift is that of units whose certified base grew too, and a lever that adds certified
firms reaches the share through its own elasticity (one channel, not two).

Start: 55.44 % in 2022 (reported, preferred over the January estimate of 56) or 54.3 % in 2020
(prelim) for the backcast. Parameters: ``sim/catalogue/parameters/industry.toml``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from sim.models.contract import Component, Context, State, Updates
from sim.models.trend import Trend

# Observations used (observations.csv): hightech_output_share 2020 = 54.3 (prelim) and
# 2022 = 55.44 (reported, preferred).
PERCENT = 100.0
SHARE = "hightech_output_share"
TREND = Trend("industry.share", "hightech_output_share")


def init(state: State, ctx: Context) -> Updates:
    """State at the end of the start year: the observed share."""
    share = ctx.start.full("hightech_output_share")
    return {
        "hightech_output_share": share,
        "industry.logit_start": logit(share / PERCENT),
        "industry.walk": TREND.start(ctx.params, ctx.rng("share"), ctx.n),
    }


def step(state: State, ctx: Context, year: int) -> Updates:
    """One year of the logit-scale random walk with drift, firm term, shock and levers."""
    p = ctx.params
    walk, transitory = TREND.step(state["industry.walk"], p, ctx.rng("share"))
    x = (
        state["industry.logit_start"]
        + walk
        + transitory
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
    reads=("macro.shock",),
    streams=("share",),
    init=init,
    step=step,
    trends=(TREND,),
)
