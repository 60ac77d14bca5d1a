"""Hostile inputs (issue 12): every file of the corpus, special files and odd options end in a
clear message with the declared exit code through `sim validate` and `sim run` alike — never a
traceback, never a file that validates and then crashes the run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hostile import BAD, corpus
from typer.testing import CliRunner

from sim.cli import app

runner = CliRunner()
CORPUS = corpus()
NEW = sorted(name for name in CORPUS if name.startswith("h_"))


def _invoke(command: str, path: Path, tmp_path: Path) -> tuple[int, str]:
    args = ["validate", str(path)]
    if command == "run":
        args = ["run", str(path), "--no-charts", "--draws", "100", "--out", str(tmp_path), "-q"]
    result = runner.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_the_corpus_is_large_and_every_file_declares_its_expectation() -> None:
    assert len(NEW) >= 60
    undeclared = [name for name, expect in CORPUS.items() if set(expect) != {"validate", "run"}]
    assert not undeclared, f"files without a `# expect:` header or table entry: {undeclared}"


def _run_is_fast(name: str, index: int) -> bool:
    """Through `sim run` in the fast tier: every file the two commands answer differently or
    that validates, and every tenth other file; the rest runs in the slow tier (CI), where
    every file goes through both commands."""
    expect = CORPUS[name]
    return expect["validate"] != expect["run"] or expect["validate"].code == 0 or index % 10 == 0


def _cases() -> list:
    cases = []
    for index, name in enumerate(sorted(CORPUS)):
        cases.append(pytest.param(name, "validate", id=f"{name}-validate"))
        slow = () if _run_is_fast(name, index) else (pytest.mark.slow,)
        cases.append(pytest.param(name, "run", id=f"{name}-run", marks=slow))
    return cases


@pytest.mark.parametrize(("name", "command"), _cases())
def test_hostile_file(name: str, command: str, tmp_path: Path) -> None:
    expect = CORPUS[name][command]
    code, output = _invoke(command, BAD / name, tmp_path)
    flat = " ".join(output.split())  # rich folds long lines; fragments are matched unfolded
    assert code == expect.code, output
    for fragment in expect.fragments:
        assert " ".join(fragment.split()) in flat, f"{fragment!r} not in:\n{output}"


def _special_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    big = tmp_path / "big.toml"
    big.write_text('name = "x"\ndescription = "' + "d" * 1_100_000 + '"\n', encoding="utf-8")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    link = tmp_path / "zero.toml"
    link.symlink_to("/dev/zero")
    return {
        "oversized": (big, "expected at most 1,000,000 bytes"),
        "fifo": (fifo, "not a regular file"),
        "dev_zero": (Path("/dev/zero"), "not a regular file"),
        "symlink_to_dev_zero": (link, "not a regular file"),
        "directory": (tmp_path, "is a directory"),
        "missing": (tmp_path / "nowhere.toml", "file not found"),
        "markup_in_path": (tmp_path / "[bold]x[/bold].toml", "[bold]x[/bold].toml"),
    }


@pytest.mark.parametrize("command", ["validate", "run"])
def test_special_files_are_refused_without_reading_them(command: str, tmp_path: Path) -> None:
    for label, (path, fragment) in _special_files(tmp_path).items():
        code, output = _invoke(command, path, tmp_path / "out")
        assert code == 2, f"{label}: {output}"
        assert fragment in " ".join(output.split()), f"{label}: {output}"
