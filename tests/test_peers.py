"""The reference class: its rules (no figure after 2022, no Qidong row) and the outside view
computed from it, against hand calculations on a made-up class."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.analysis.outside_view import outside_view, peer_changes
from sim.catalogue import PACKAGED_DIR, use_catalogue
from sim.catalogue.peers import LAST_YEAR, peer_observations, peer_series
from sim.cli import app
from sim.errors import CatalogueError

HEADER = "scope,indicator,year,value,unit,status,source_url,page_date,note\n"


def catalogue_with(tmp_path: Path, rows: str) -> Path:
    """A copy of the catalogue whose reference class is only ``rows``."""
    folder = tmp_path / "catalogue"
    shutil.copytree(PACKAGED_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.rmtree(folder / "reference_class")
    (folder / "reference_class").mkdir()
    (folder / "reference_class" / "made_up.csv").write_text(HEADER + rows, encoding="utf-8")
    return folder


def test_the_packaged_class_keeps_the_policy_date_rule() -> None:
    rows = peer_observations()
    assert len(rows) > 900
    assert max(r.year for r in rows) <= LAST_YEAR
    assert not any(r.scope == "qidong" for r in rows)
    assert all(r.source_url.startswith("http") for r in rows)
    assert {"jiangsu", "guangdong", "xizang"} <= set(peer_series("rd_to_gdp"))  # provinces
    assert {"haimen", "kunshan"} & set(peer_series("rd_to_gdp"))  # and Jiangsu units


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("haimen,rd_to_gdp,2023,2.9,percent,reported,http://x,,\n", "2023 is after 2022"),
        ("qidong,rd_to_gdp,2021,2.6,percent,reported,http://x,,\n", "'qidong' is not a peer"),
        ("haimen,rd_to_gdp,2021,lots,percent,reported,http://x,,\n", "does not parse"),
    ],
)
def test_a_forbidden_row_is_refused_with_its_line(tmp_path, row, message) -> None:
    with use_catalogue(catalogue_with(tmp_path, row)), \
            pytest.raises(CatalogueError, match=rf"made_up.csv:2:.*{message}"):  # fmt: skip
        peer_observations()


def test_changes_and_spreads_by_hand(tmp_path) -> None:
    """Two units, intensities doubling (a) or flat (b) every three years, on the log scale."""
    rows = "".join(
        f"{u},rd_to_gdp,{y},{v},percent,reported,http://x,,\n"
        for u, values in (("a", (1.0, 1.2, 1.5, 2.0, 2.4)), ("b", (3.0, 3.0, 3.0, 3.0, 3.0)))
        for y, v in zip(range(2017, 2022), values, strict=True)
    )
    with use_catalogue(catalogue_with(tmp_path, rows)):
        changes = peer_changes("rd_to_gdp", 3, "log").set_index(["scope", "start"])["change"]
        assert changes[("a", 2017)] == pytest.approx(math.log(2.0))
        assert changes[("a", 2018)] == pytest.approx(math.log(2.0))
        assert changes[("b", 2017)] == 0.0
        view = outside_view(None, 3).set_index("peer_indicator").loc["rd_to_gdp"]
        assert (view["units"], view["unit_years"], view["cases"]) == (2, 10, 4)
        x = np.array([math.log(2)] * 2 + [0.0] * 2)
        assert view["peer_width90"] == pytest.approx(np.quantile(x, 0.95) - np.quantile(x, 0.05))
        assert view["peer_around_trend_width90"] == pytest.approx(0.0, abs=1e-12)


def test_the_reference_command_sets_the_model_beside_the_peers() -> None:
    root = Path(__file__).resolve().parents[1]
    result = CliRunner().invoke(app, ["reference", str(root / "scenarios" / "baseline.toml"),
                                      "--draws", "1000"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "rd_to_gdp (log)" in result.output and "393" in result.output


def test_a_final_figure_wins_over_an_estimate(tmp_path) -> None:
    rows = ("haimen,rd_to_gdp,2021,2.9,percent,prelim,http://x,,estimate\n"
            "haimen,rd_to_gdp,2021,2.77,percent,reported,http://y,,bulletin\n")  # fmt: skip
    with use_catalogue(catalogue_with(tmp_path, rows)):
        assert peer_series("rd_to_gdp") == {"haimen": {2021: 2.77}}
