"""The common innovation factor (sim/catalogue/factors.py): members keep their priors exactly,
correlate as the copula says, and nothing else moves.

Statistical assertions, each with its false-failure rate: the Kolmogorov–Smirnov test of each
of the five members against its prior at α = 1e-4 (5 × 1e-4 = 5e-4 family-wise), and the
correlation of two normal members within 5 SE of E[λ²] (5.7e-7 each, two pairs). The other
tests are exact. Total ≈ 5e-4.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.catalogue import PACKAGED_DIR, use_catalogue
from sim.catalogue.factors import factors
from sim.errors import CatalogueError
from sim.priors import draw_parameters, parameters

N = 40_000


def _scipy_law(pid: str):  # the prior as a frozen scipy distribution
    p = parameters()[pid]
    if p.dist == "normal":
        return stats.norm(p.mean, p.sd)
    if p.dist == "beta":
        return stats.beta(p.a, p.b)
    if p.dist == "lognormal":
        return stats.lognorm(p.sigma, scale=p.median)
    raise AssertionError(f"add {p.dist} to the test")


def test_members_keep_their_priors() -> None:
    draws = draw_parameters(7, 0, N)
    for pid in factors()["innovation"].members:
        p_value = stats.kstest(draws[pid], _scipy_law(pid).cdf).pvalue
        assert p_value > 1e-4, (pid, p_value)


def test_members_correlate_by_the_mean_squared_loading() -> None:
    """On the normal scale corr(z_i, z_j) = E[λ²] = (h³ − l³)/(3(h − l)) for λ ~ U(l, h);
    normal members are linear in z, so their correlation is exactly that."""
    f = factors()["innovation"]
    lo, hi = f.loading_low, f.loading_high
    expected = (hi**3 - lo**3) / (3 * (hi - lo))
    draws = draw_parameters(8, 0, N)
    se = (1 - expected**2) / np.sqrt(N)
    for a, b in (("rnd.intensity_drift", "patents.stock_drift"),
                 ("industry.share_drift", "firms.sme_trend")):  # fmt: skip
        r = np.corrcoef(draws[a], draws[b])[0, 1]
        assert abs(r - expected) < 5 * se, (a, b, r, expected)


def _catalogue_copy(tmp_path: Path, factors_text: str | None) -> Path:
    folder = tmp_path / "catalogue"
    shutil.copytree(PACKAGED_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    target = folder / "factors.toml"
    if factors_text is None:
        target.unlink()
    else:
        target.write_text(factors_text, encoding="utf-8")
    return folder


def test_parameters_outside_the_factor_draw_what_they_drew_before(tmp_path: Path) -> None:
    with_factor = draw_parameters(9, 0, 500)
    with use_catalogue(_catalogue_copy(tmp_path, None)):
        without = draw_parameters(9, 0, 500)
    members = set(factors()["innovation"].members)
    for pid in parameters():
        if pid in members:
            assert not np.allclose(with_factor[pid], without[pid]), pid
        else:
            np.testing.assert_array_equal(with_factor[pid], without[pid])


def test_an_unknown_member_is_named_with_a_suggestion(tmp_path: Path) -> None:
    text = (PACKAGED_DIR / "factors.toml").read_text(encoding="utf-8")
    folder = _catalogue_copy(tmp_path, text.replace('"firms.pass_rate"', '"firms.pass_rat"'))
    with use_catalogue(folder), pytest.raises(CatalogueError, match=r"pass_rat'.*pass_rate"):
        draw_parameters(1, 0, 10)
