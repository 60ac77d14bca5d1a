"""The outside-view method (sim/catalogue/pooling.py) against hand calculations and a
simulated class whose truth is known.

Statistical assertion: the recovery test draws one synthetic class (seeded) and checks each
estimate within 5 of its own standard errors (derived in the test); 4 assertions at 5.7e-7
false-failure rate each, family-wise ≈ 2.3e-6. The other tests are exact.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from synthetic import write_synthetic_class

from sim.catalogue import use_catalogue
from sim.catalogue.pooling import (
    ReferenceClass,
    Spread,
    pooled_drift,
    spread,
    unit_volatility,
)

CLS = ReferenceClass(id="t", peer_indicator="rd_to_gdp", own_indicator="rd_to_gdp",
                     scale="log", window=12, own_error_sd=0.0, basis="test")  # fmt: skip


def test_partial_pooling_by_hand() -> None:
    """Normal–normal: own drift (x_last − x_first)/span with variance σ_P²/span + 2σ_T²/span²,
    prior N(m, τ² + se²); posterior precision is the sum of precisions."""
    sp = Spread(0.04, 0.0, 0.03, 0.05, 0.02, 0, 100, 0.3, 10, 100)
    own = {2019: 2.0, 2022: 2.0 * np.exp(-0.03)}
    mean, sd = pooled_drift(sp, own, CLS, 2022)
    var_own = 0.05**2 / 3 + 2 * 0.02**2 / 9
    prec = 1 / 0.03**2 + 1 / var_own
    assert mean == pytest.approx((0.04 / 0.03**2 - 0.01 / var_own) / prec)
    assert sd == pytest.approx(prec**-0.5)
    # no own points in the window: the class's prior, untouched
    assert pooled_drift(sp, {2000: 1.0, 2001: 2.0}, CLS, 2022) == pytest.approx((0.04, 0.03))


def test_recovers_a_known_class(tmp_path: Path) -> None:
    """Drift mean, between-unit sd and both volatilities of a class simulated from the model
    come back within 5 SE (SEs: m from the DL weights; variances from 40 × 11 changes)."""
    truth = {"m": 0.04, "tau": 0.02, "sp": 0.05, "st": 0.03}
    write_synthetic_class(tmp_path, np.random.default_rng(20230305), truth, units=40)
    with use_catalogue(tmp_path):
        sp = spread(CLS, 2022)
    assert abs(sp.drift_mean - truth["m"]) < 5 * np.hypot(sp.drift_mean_se, 1e-9)
    assert sp.breaks <= 2  # normal data: a 4-sd break is a 6e-5 event per change
    # a variance part from k ≈ 440 annual and ≈ 360 three-year changes: relative se ≲ 0.25
    assert abs(sp.persistent_sd / truth["sp"] - 1) < 5 * 0.05
    assert abs(sp.transitory_sd / truth["st"] - 1) < 5 * 0.08
    assert abs(sp.drift_between_sd - truth["tau"]) < 5 * 0.004


def test_unit_volatility_by_hand() -> None:
    """log σ_u²: normal–normal between the class's log(σ_P² + 2σ_T²) with variance Vb and the
    unit's bias-corrected log mean square with variance trigamma(n/2)."""
    from scipy import special

    sp = Spread(0.0, 0.0, 0.01, 0.05, 0.02, 0, 100, 0.3, 10, 100, 0.0, 0.25)
    own = {2019: 1.0, 2020: float(np.exp(0.1)), 2021: float(np.exp(0.1 - 0.05))}
    factor, log_sd = unit_volatility(sp, own, CLS, 2022, drift=0.0)
    v1 = 0.05**2 + 2 * 0.02**2
    n, square = 2, (0.1**2 + 0.05**2) / 2
    own_mean = np.log(square) - (special.digamma(n / 2) - np.log(n / 2))
    own_var = special.polygamma(1, n / 2)
    post_var = 1 / (1 / 0.25 + 1 / own_var)
    post_mean = post_var * (np.log(v1) / 0.25 + own_mean / own_var)
    assert factor == pytest.approx(np.exp((post_mean - np.log(v1)) / 2))
    assert log_sd == pytest.approx(np.sqrt(post_var) / 2)
    # no own changes: the class's volatility, with the between-unit spread
    assert unit_volatility(sp, {2022: 1.0}, CLS, 2022, 0.0) == pytest.approx((1.0, 0.25**0.5 / 2))


def test_constant_drifts_do_not_move(tmp_path: Path) -> None:
    """A class whose drifts never change: the measured shift is near 0 (below 5 SE of the
    mean-square estimate: its noise is the walk's, ≈ 0.04 per pair over ≈ 200 pairs)."""
    truth = {"m": 0.04, "tau": 0.02, "sp": 0.05, "st": 0.03}
    write_synthetic_class(tmp_path, np.random.default_rng(11), truth, units=40)
    with use_catalogue(tmp_path):
        sp = spread(CLS, 2022)
    # excess of a mean square whose noise part has sd ≈ √2 · 0.04² / √200 ≈ 1.6e-4
    assert sp.drift_shift_sd**2 < 5 * 1.6e-4
