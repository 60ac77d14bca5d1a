"""Invariants under arbitrary lever settings, and levers that never hurt their targets.

One statistical test (tests/mc.py): every lever at its maximum against the status quo, on
shared draws, for every target the lever acts on — 71 lever × target comparisons today. A
comparison fails when the paired difference of P(met) is below −k standard errors; k is set
by Bonferroni so that the whole family fails by chance with probability 1e-3 when no lever
hurts any target (one-sided: k = Φ⁻¹(1 − 1e-3 / 71) ≈ 4.19; it was −4 SE each, a family-wise
71 × 3.2e-5 ≈ 2.2e-3). The normal approximation is conservative enough here: when few draws
differ (d discordant pairs), z ≥ −√d, so a failure needs at least 18 of them all one way,
probability 2^-18 ≈ 4e-6 under a null effect. Family-wise for the module: 1e-3. The other
tests are exact (derandomised hypothesis examples, inequalities that hold draw by draw).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mc import FAMILY_ALPHA, assert_at_least, bonferroni_k

from sim.catalogue import indicators
from sim.engine import simulate_chunk
from sim.levers import levers
from sim.models import produced_indicators
from sim.runner import run_many
from sim.scenario import status_quo
from sim.targets import quantitative_targets

YEARS = (2022, 2023, 2024, 2025)


@st.composite
def lever_settings(draw) -> dict[str, float]:
    chosen = draw(st.lists(st.sampled_from(sorted(levers())), unique=True, max_size=8))
    out = {}
    for lid in chosen:
        lv = levers()[lid]
        out[lid] = draw(st.floats(lv.min, lv.max, allow_nan=False))
    return out


@given(lever_settings(), st.integers(0, 2**32 - 1))
def test_outputs_are_finite_counts_and_shares(settings: dict[str, float], seed: int) -> None:
    sc = status_quo().with_levers(**settings)
    series = simulate_chunk(sc, 0, 300, seed, YEARS)
    inds = indicators()
    for name in produced_indicators():
        x = series[name]
        assert np.isfinite(x).all(), name
        assert (x >= 0).all(), name
        if inds[name].unit == "percent":
            assert (x <= 100).all(), name
        if inds[name].unit in ("firms", "projects", "persons", "institutions", "incubators",
                               "platforms", "members", "institutes", "results", "technologies",
                               "varieties"):  # fmt: skip
            assert np.array_equal(x, np.round(x)), name


def test_every_lever_reaches_a_modelled_indicator() -> None:
    produced = produced_indicators()
    for lv in levers().values():
        assert set(lv.acts_on) & produced, f"{lv.id} acts on nothing the model produces"


@pytest.mark.slow
def test_pulling_a_lever_harder_never_lowers_a_target_beyond_mc_error() -> None:
    """Every lever at its maximum against the status quo, on shared draws (paired)."""
    base = status_quo("status_quo", draws=6000, seed=99)
    pushed = [base.with_levers(**{lid: lv.max}).renamed(f"max_{lid}")
              for lid, lv in levers().items()]  # fmt: skip
    results = run_many([base, *pushed])
    modelled = set(results[0].manifest["targets_modelled"])
    rows = []
    for res in results[1:]:
        cmp = res.comparison.set_index("target_id")
        lid = res.scenario.name.removeprefix("max_")
        acted = set(levers()[lid].acts_on)
        for tid, t in quantitative_targets().items():
            if tid in modelled and t.indicator in acted:
                rows.append((f"{lid} -> {tid}", cmp.loc[tid]))
    k = bonferroni_k(len(rows), FAMILY_ALPHA, sides=1)  # ≈ 4.19 for 71 comparisons
    for what, row in rows:
        assert_at_least(row["difference"], 0.0, row["difference_se"], k, what=what)


def test_joint_probability_never_exceeds_the_smallest_single_one() -> None:
    (res,) = run_many([status_quo("j", draws=4000, seed=5)])
    p = res.attainment["p_met"].dropna()
    assert res.p_all <= p.min() + 1e-12
    for g in res.groups.itertuples():
        members = res.attainment.query("group == @g.group")["p_met"].dropna()
        assert g.p_all_met <= members.min() + 1e-12
