"""Smoke tests of the ``sim`` command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim._version import __version__
from sim.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("targets", "levers", "validate", "run"):
        assert command in result.output


def test_targets_json_has_catalogue_fields() -> None:
    result = runner.invoke(app, ["targets", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert len(rows) >= 30
    for row in rows:
        assert {"id", "kind", "threshold", "unit", "clause"} <= set(row)


def test_targets_table_and_group_filter() -> None:
    result = runner.invoke(app, ["targets", "--group", "talent"])
    assert result.exit_code == 0
    assert "national_talents_2025" in result.output
    assert "hightech_enterprises_2025" not in result.output
    bad = runner.invoke(app, ["targets", "--group", "nope"])
    assert bad.exit_code == 2
    assert "unknown group" in bad.output


def test_levers_json_has_catalogue_fields() -> None:
    result = runner.invoke(app, ["levers", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    for row in rows:
        assert {"id", "unit", "status_quo", "min", "max"} <= set(row)
        assert row["min"] <= row["status_quo"] <= row["max"]


def test_validate_good_and_bad() -> None:
    good = runner.invoke(app, ["validate", str(ROOT / "scenarios" / "baseline.toml")])
    assert good.exit_code == 0
    assert "ok:" in good.output
    bad_file = ROOT / "tests" / "bad_scenarios" / "misspelt_lever.toml"
    bad = runner.invoke(app, ["validate", str(bad_file)])
    assert bad.exit_code == 2
    assert "did you mean 'project_attraction'?" in bad.output
    assert "Traceback" not in bad.output


def test_unknown_command_suggests() -> None:
    result = runner.invoke(app, ["rnu"])
    assert result.exit_code != 0
    assert "run" in result.output


@pytest.mark.slow
def test_run_writes_tables_and_charts_and_report_rebuilds_them(tmp_path) -> None:
    scenario = str(ROOT / "scenarios" / "baseline.toml")
    result = runner.invoke(app, ["run", scenario, "--draws", "1500", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "baseline"
    assert (folder / "attainment.csv").exists()
    assert (folder / "charts" / "charts.pdf").exists()
    assert "P(all" in result.output
    again = runner.invoke(app, ["report", str(folder), "--lang", "en",
                                "--out", str(tmp_path / "pack_en.pdf")])  # fmt: skip
    assert again.exit_code == 0, again.output
    assert (tmp_path / "pack_en.pdf").stat().st_size > 10_000


def test_run_without_charts_and_report_on_an_empty_folder(tmp_path) -> None:
    scenario = str(ROOT / "scenarios" / "baseline.toml")
    result = runner.invoke(app, ["run", scenario, "--draws", "500", "--out", str(tmp_path),
                                 "--no-charts", "-q"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "baseline" / "charts").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = runner.invoke(app, ["report", str(empty)])
    assert bad.exit_code == 2
    assert "not a sim result" in bad.output


def test_a_failing_chart_pack_keeps_the_tables(tmp_path, monkeypatch) -> None:
    import sim.charts.pack

    def broken(*args, **kwargs):
        raise RuntimeError("font exploded")

    monkeypatch.setattr(sim.charts.pack, "build_pack", broken)
    scenario = str(ROOT / "scenarios" / "baseline.toml")
    result = runner.invoke(app, ["run", scenario, "--draws", "500", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "tables are saved" in result.output
    assert (tmp_path / "baseline" / "attainment.csv").exists()


@pytest.mark.slow
def test_crosscheck_command_passes_on_the_baseline() -> None:
    """The command's wiring and verdict, on the fewest draws it takes (50: 6 s rather than 16 s
    at 200); the statistics are tests/test_reference.py's, on thousands of draws."""
    scenario = str(ROOT / "scenarios" / "baseline.toml")
    result = runner.invoke(app, ["crosscheck", scenario, "--draws", "50"])
    assert result.exit_code == 0, result.output
    assert "verdict: passed" in result.output


def test_backcast_command_reports_every_observation() -> None:
    result = runner.invoke(app, ["backcast", "--draws", "2000"])
    assert result.exit_code == 0, result.output
    assert "observations inside their 95 % predictive interval" in result.output
    assert "IN-SAMPLE" in result.output and "sim backtest" in result.output


@pytest.mark.slow  # the whole backtest, ≈ 8 s
def test_backtest_command_prints_coverage_and_saves_atomically(tmp_path: Path) -> None:
    folder = tmp_path / "bt"
    folder.mkdir()
    (folder / "backtest_pit.png").write_text("from an earlier run")  # replaced whole
    result = runner.invoke(app, ["backtest", "--draws", "200", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    for word in ("rd_to_gdp", "invention_patents", "overall", "90 % covered", "Goal"):
        assert word in result.output
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["backtest_cases.csv", "backtest_coverage.csv", "backtest_pit.png"]
    assert (folder / "backtest_pit.png").read_bytes()[:4] == b"\x89PNG"
    assert not list(tmp_path.glob(".bt.*"))  # no temporary folder left behind


def test_backtest_refuses_to_replace_a_folder_that_is_not_a_backtest(tmp_path) -> None:
    """--out is replaced whole: a folder with other files is refused, untouched (exit 2)."""
    keep = tmp_path / "scenarios"
    keep.mkdir()
    (keep / "mine.toml").write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["backtest", "--draws", "100", "--out", str(keep)])
    assert result.exit_code == 2
    assert "not a backtest" in result.output
    assert (keep / "mine.toml").read_text(encoding="utf-8") == "x"
