"""Run options with sane bounds (issue 12): draws, jobs and seed, one error path and --debug,
user text escaped in the terminal and in the charts, short comparison folder names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.cli.bounds import DRAWS_PER_SECOND, SEED_MAX, time_estimate
from sim.cli.run_cmds import MAX_FOLDER_NAME, comparison_folder

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.toml")
runner = CliRunner()


def _run(tmp_path: Path, *options: str) -> tuple[int, str]:
    args = ["run", BASELINE, "--no-charts", "-q", "--out", str(tmp_path), *options]
    result = runner.invoke(app, args, env={"COLUMNS": "250"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


@pytest.mark.parametrize(
    ("options", "code", "fragment"),
    [
        (["--draws", "99999999999999999999999"], 2, "less than or equal to 100000000"),
        (["--draws", "100000001"], 2, "less than or equal to 100000000"),
        (["--draws", "0"], 2, "greater than or equal to 1"),
        (["--draws", "1"], 2, "below the minimum 100"),
        (["--draws", "99"], 2, "--force"),
        (["--seed", str(2**63)], 2, "less than or equal to"),
        (["--seed", str(2**64)], 2, "less than or equal to"),
        (["--seed", "-1"], 2, "greater than or equal to 0"),
        (["--jobs", "0"], 2, "greater than or equal to 1"),
    ],
)
def test_bad_options_are_refused_cleanly(tmp_path, options, code, fragment) -> None:
    exit_code, output = _run(tmp_path, *options)
    assert exit_code == code, output
    assert fragment in output, output


def test_few_draws_run_with_force_and_warn(tmp_path) -> None:
    code, output = _run(tmp_path, "--draws", "50", "--force")
    assert code == 0, output
    assert "P(met) is imprecise" in output
    code, output = _run(tmp_path, "--draws", "500")
    assert code == 0 and "imprecise" in output, output


def test_jobs_are_capped_at_the_cores(tmp_path) -> None:
    code, output = _run(tmp_path, "--draws", "100", "--jobs", "1000")
    assert code == 0, output
    assert f"using {os.cpu_count()}" in output


def test_a_long_run_is_announced_with_an_estimate() -> None:
    assert time_estimate(1000, 1, 1) is None
    line = time_estimate(100_000_000, 2, 2)
    assert line is not None and "minutes" in line and f"{DRAWS_PER_SECOND:,}" in line


def test_the_largest_seed_is_saved_and_reopened(tmp_path) -> None:
    from sim.results import load_result

    code, output = _run(tmp_path, "--draws", "100", "--seed", str(SEED_MAX))
    assert code == 0, output
    assert load_result(tmp_path / "baseline").manifest["seed"] == SEED_MAX


def test_an_internal_error_is_one_line_and_debug_shows_it(tmp_path, monkeypatch) -> None:
    import sim.runner

    def broken(*args, **kwargs):
        raise RuntimeError("something inside broke")

    monkeypatch.setattr(sim.runner, "run_many", broken)
    args = ["run", BASELINE, "--no-charts", "--draws", "100", "--out", str(tmp_path)]
    quiet = runner.invoke(app, args)
    assert quiet.exit_code == 1
    assert "internal error (RuntimeError: something inside broke)" in quiet.output
    assert "--debug" in quiet.output and "Traceback" not in quiet.output
    loud = runner.invoke(app, ["--debug", *args])
    assert isinstance(loud.exception, RuntimeError)


def test_markup_in_user_text_is_printed_as_text(tmp_path) -> None:
    (tmp_path / "[").mkdir()
    path = tmp_path / "[/bold]x.toml"
    path.write_text('name = "x"\n[levers]\n"[/bold]" = 1\n', encoding="utf-8")
    for command in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path)]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        assert "levers.[/bold]: unknown lever" in result.output
        assert "[/bold]x.toml" in result.output


def test_dollars_in_user_text_are_not_mathtext() -> None:
    from matplotlib.text import Text

    from sim.charts.labels import scenario_title, user_text
    from sim.scenario import status_quo

    title = "Budget $5m to $10m"
    drawn = Text(text=user_text(title))
    assert drawn._preprocess_math(drawn.get_text()) == (title, False)
    sc = status_quo().renamed("x", title_zh=title, title_en=title)
    assert scenario_title(sc, "en") == user_text(title)


def test_three_long_names_give_a_short_unique_comparison_folder(tmp_path) -> None:
    names = [c * 80 for c in "abc"]
    folder = comparison_folder(names)
    assert len(folder) <= MAX_FOLDER_NAME
    assert folder != comparison_folder([*names[:2], "c" * 79 + "d"])
    (tmp_path / folder).mkdir()  # "File name too long" before the fix
    assert comparison_folder(["baseline", "talent_first"]) == "compare_baseline_vs_talent_first"
