"""Issue 12, items 4–6: no folder is lost or corrupted, no worker outlives its run, and
`sim report` checks everything it reads before drawing.

Fast checks run in-process (CliRunner); kills, Ctrl-C and concurrent runs are subprocesses
(marked slow). CI runs as root, where ``chmod`` does not stop writes: permission and read-only
errors are simulated by raising them where the save writes.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.errors import ResultError
from sim.results import load_result
from sim.results.folders import OutputError, output_lock
from sim.scenario import status_quo

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
# A run long enough (seconds, with two workers) to be interrupted or overlapped reliably.
LONG_DRAWS = "400000"
# How long a test waits for something that should take well under a second.
PATIENCE = 20.0


def _sim(*args: str, **kw) -> subprocess.Popen:
    """`sim ARGS` in a subprocess, importing sim from the repository under test."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", "from sim.cli import main; main()", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw,
    )  # fmt: skip


def _scenario(folder: Path, name: str, draws: int = 300) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\ndraws = {draws}\nseed = 7\n', encoding="utf-8")
    return path


def _run(*args: str):
    return runner.invoke(app, ["run", *args, "--no-charts", "-q"])


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _assert_clean_error(result, *words: str) -> None:
    """Exit 2, the words in the message, no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small saved result (copied before each corruption)."""
    folder = tmp_path_factory.mktemp("saved") / "base"
    sim.run(status_quo("base", draws=300, seed=3)).save(folder)
    return folder


# ---------------------------------------------------------------------- 4: never lose a folder


def test_a_folder_that_is_not_a_result_is_refused_and_kept(tmp_path, monkeypatch) -> None:
    """The issue's data loss: `name = "scenarios"` with `--out .` deleted the project's folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.toml").write_text("precious", encoding="utf-8")
    (tmp_path / "s.toml").write_text('name = "scenarios"\n', encoding="utf-8")
    result = _run("s.toml", "--out", ".", "--draws", "200")
    _assert_clean_error(result, "scenarios exists and is not a sim result", "--out")
    assert _listing(tmp_path / "scenarios") == {"mine.toml": b"precious"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml", "scenarios"]


def test_a_file_in_the_way_is_refused_and_kept(tmp_path) -> None:
    (tmp_path / "x").write_text("a file", encoding="utf-8")
    result = _run(str(_scenario(tmp_path, "x")), "--out", str(tmp_path))
    _assert_clean_error(result, "exists and is not a folder")
    assert (tmp_path / "x").read_text(encoding="utf-8") == "a file"
    assert not list(tmp_path.glob(".x.*"))


@pytest.mark.parametrize("out", ["afile", "/dev/null"])
def test_out_that_is_not_a_folder_is_a_clear_error(tmp_path, out) -> None:
    (tmp_path / "afile").write_text("", encoding="utf-8")
    target = out if out.startswith("/") else str(tmp_path / out)
    result = _run(str(_scenario(tmp_path, "s")), "--out", target)
    _assert_clean_error(result, f"{Path(target).name} is not a folder")


def test_the_python_api_refuses_a_foreign_folder_too(tmp_path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="not a sim result"):
        sim.run(status_quo("notes", draws=200)).save(tmp_path / "notes")
    assert (tmp_path / "notes" / "a.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "disk full"), (errno.EACCES, "permission denied"),
     (errno.EROFS, "read-only file system")],
)  # fmt: skip
def test_a_failed_save_keeps_the_previous_result(tmp_path, saved, code, words) -> None:
    """Disk full, permission denied, read-only: one line, exit 2, the old result intact."""
    folder = tmp_path / "base"
    shutil.copytree(saved, folder)
    before = _listing(folder)
    failing = OSError(code, os.strerror(code), str(folder / "sample.nc"))
    with mock.patch("sim.results.store.write_folder", side_effect=failing):
        result = _run(str(_scenario(tmp_path, "base")), "--out", str(tmp_path))
    _assert_clean_error(result, words, "the previous result is intact", "base")
    # one line of error (a warning about few draws may precede it)
    assert (
        len([ln for ln in result.output.strip().splitlines() if not ln.startswith("warning:")]) == 1
    )
    assert _listing(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base", "base.toml"]


def test_an_unwritable_output_folder_is_a_clear_error(tmp_path) -> None:
    """A read-only --out (simulated: CI runs as root, where chmod does not bind)."""
    denied = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".s.lock"))
    with mock.patch("sim.results.folders.os.open", side_effect=denied):
        result = _run(str(_scenario(tmp_path, "s")), "--out", str(tmp_path))
    _assert_clean_error(result, f"cannot write to {tmp_path}", "permission denied")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_output_folder_for_real(tmp_path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        result = _run(str(_scenario(tmp_path, "s")), "--out", str(ro))
    finally:
        ro.chmod(0o755)
    _assert_clean_error(result, "permission denied")


def test_a_folder_in_use_is_refused(tmp_path, saved) -> None:
    """Another process holds the folder's lock: this run refuses at once, the result is kept."""
    folder = tmp_path / "base"
    shutil.copytree(saved, folder)
    before = _listing(folder)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); fcntl.flock(fd, fcntl.LOCK_EX)\n"
         "os.write(fd, str(os.getpid()).encode()); print('locked', flush=True); time.sleep(60)",
         str(tmp_path / ".base.lock")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        result = _run(str(_scenario(tmp_path, "base")), "--out", str(tmp_path))
    finally:
        holder.kill()
        holder.wait()
    _assert_clean_error(result, "being written by another sim run", f"pid {holder.pid}",
                        "refuses")  # fmt: skip
    assert _listing(folder) == before


def test_the_lock_is_reentrant_and_removed_on_release(tmp_path) -> None:
    final = tmp_path / "r"
    with output_lock(final), output_lock(final):
        assert (tmp_path / ".r.lock").exists()
    assert not (tmp_path / ".r.lock").exists()


def test_stale_leftovers_are_cleaned_and_nothing_else(tmp_path, saved) -> None:
    """What killed runs left (tmp and old folders of this name) goes; look-alikes stay."""
    shutil.copytree(saved, tmp_path / "base")
    stale = [tmp_path / ".base.tmp-ab_12X", tmp_path / ".base.old-999999"]
    keep = [tmp_path / ".base.tmp-ab.c", tmp_path / ".other.tmp-abc", tmp_path / ".base.old-1x",
            tmp_path / "base.tmp-abc"]  # fmt: skip
    for d in stale + keep:
        d.mkdir()
        (d / "f").write_text("x", encoding="utf-8")
    (tmp_path / ".base.tmp-link").symlink_to(tmp_path / ".other.tmp-abc")
    result = _run(str(_scenario(tmp_path, "base")), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert not any(d.exists() for d in stale)
    assert all((d / "f").exists() for d in keep)
    assert (tmp_path / ".base.tmp-link").is_symlink()


def test_a_result_moved_aside_by_a_killed_run_is_put_back(tmp_path, saved) -> None:
    """Killed between the two renames of the fallback swap: the old result is restored."""
    shutil.copytree(saved, tmp_path / ".base.old-999999")
    with output_lock(tmp_path / "base"):
        from sim.results.folders import clean_leftovers

        clean_leftovers(tmp_path / "base")
    assert load_result(tmp_path / "base").scenario.name == "base"


def test_a_result_is_replaced_by_the_next_run(tmp_path, saved) -> None:
    shutil.copytree(saved, tmp_path / "base")
    result = _run(str(_scenario(tmp_path, "base", draws=400)), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert load_result(tmp_path / "base").draws_run == 400
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base", "base.toml"]


# ---------------------------------------------------------------------- 4 and 5: kills, Ctrl-C

# `sim` with the save paused after the new folder is written, so a test can kill it there.
PAUSED_SAVE = """
import sys, time
import sim.results.store as store
real = store.write_folder
def paused(folder, *args):
    real(folder, *args)
    print("written", folder, flush=True)
    time.sleep(60)
store.write_folder = paused
from sim.cli import main
sys.argv = ["sim", *sys.argv[1:]]
main()
"""


@pytest.mark.slow
def test_sigkill_during_the_save_keeps_the_old_result_and_the_next_run_cleans_up(
    tmp_path, saved
) -> None:
    shutil.copytree(saved, tmp_path / "base")
    created = json.loads((tmp_path / "base" / "manifest.json").read_text())["created"]
    scenario = str(_scenario(tmp_path, "base"))
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSED_SAVE, "run", scenario, "--out", str(tmp_path),
         "--no-charts", "-q"],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("written"), line
    proc.kill()
    proc.wait()
    assert [p.name for p in tmp_path.glob(".base.tmp-*")]  # the half-done save is left...
    back = load_result(tmp_path / "base")  # ...and the old result is intact
    assert back.manifest["created"] == created
    again = _sim("run", scenario, "--out", str(tmp_path), "--no-charts", "-q")
    _, stderr = again.communicate(timeout=120)
    assert again.returncode == 0, stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base", "base.toml"]  # cleaned


def _children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie (a killed orphan may wait as a zombie for a reaper)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_with_workers(out: Path) -> tuple[subprocess.Popen, list[int]]:
    """A long `sim run --jobs 2` in its own process group, once both its workers started."""
    proc = _sim("run", str(ROOT / "scenarios" / "baseline.toml"), "--draws", LONG_DRAWS,
                "--jobs", "2", "--out", str(out), "--no-charts", "-q",
                start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + PATIENCE
    while len(workers := _children(proc.pid)) < 2:
        assert time.monotonic() < deadline and proc.poll() is None, "no workers started"
        time.sleep(0.05)
    time.sleep(0.5)  # let them take their first blocks
    return proc, workers


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_workers_die_with_a_killed_parent(tmp_path) -> None:
    proc, workers = _start_with_workers(tmp_path)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 3
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    orphans = [w for w in workers if _alive(w)]
    for w in orphans:
        os.kill(w, signal.SIGKILL)
    assert not orphans, "worker processes outlived their killed parent"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_ctrl_c_with_two_jobs_returns_at_once(tmp_path) -> None:
    proc, workers = _start_with_workers(tmp_path)
    start = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C: the whole foreground group
    _, stderr = proc.communicate(timeout=PATIENCE)
    elapsed = time.monotonic() - start
    assert proc.returncode == 130, stderr
    assert stderr.strip() == "interrupted"
    assert elapsed < 2.0, f"Ctrl-C took {elapsed:.1f} s"
    assert not any(_alive(w) for w in workers)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no lock, no tmp, no result


@pytest.mark.slow
def test_two_runs_into_one_folder_one_saves_one_refuses(tmp_path) -> None:
    scenario = str(_scenario(tmp_path, "base", draws=40_000))
    procs = [_sim("run", scenario, "--out", str(tmp_path), "--no-charts", "-q") for _ in "ab"]
    outputs = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], outputs
    ok, refused = sorted(zip(procs, outputs, strict=True), key=lambda po: po[0].returncode)
    assert "saved" in ok[1][0] and "saved" not in refused[1][0]
    assert "being written by another sim run" in refused[1][1]
    assert "Traceback" not in refused[1][1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base", "base.toml"]
    assert load_result(tmp_path / "base").draws_run == 40_000


@pytest.mark.slow
def test_the_name_clash_in_a_subprocess(tmp_path) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.toml").write_text("precious", encoding="utf-8")
    (tmp_path / "s.toml").write_text('name = "scenarios"\n', encoding="utf-8")
    proc = _sim("run", "s.toml", "--out", ".", cwd=tmp_path)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "scenarios exists and is not a sim result" in stderr and "Traceback" not in stderr
    assert _listing(tmp_path / "scenarios") == {"mine.toml": b"precious"}


# ---------------------------------------------------------------------- 6: report checks first


def _edit_manifest(folder: Path, change) -> None:
    path = folder / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(change(data)), encoding="utf-8")


def _without(key: str):
    return lambda d: {k: v for k, v in d.items() if k != key}


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _rename_column(path: Path) -> None:
    text = path.read_text(encoding="utf-8-sig")
    path.write_text(text.replace("p_met", "p_met_old", 1), encoding="utf-8-sig")


def _scenario_name(folder: Path) -> None:
    _edit_manifest(folder, lambda d: {**d, "scenario": {**d["scenario"], "name": "../bad name"}})


TRAJECTORY_HEAD = "indicator,year,mean,q05,q10,q25,q50,q75,q90,q95\n"
CORRUPTIONS = {
    "manifest is []": ("manifest.json", lambda f: (f / "manifest.json").write_text("[]"),
                       "should be a JSON object"),
    "manifest is garbage": ("manifest.json", lambda f: (f / "manifest.json").write_text("{oops"),
                            "unreadable manifest"),
    "manifest without scenario": ("manifest.json",
                                  lambda f: _edit_manifest(f, _without("scenario")),
                                  "no 'scenario'"),
    "manifest draws as text": ("manifest.json",
                               lambda f: _edit_manifest(f, lambda d: {**d, "draws": "many"}),
                               "'draws' should be a whole number"),
    "manifest of a future format": ("base", lambda f: _edit_manifest(
        f, lambda d: {**d, "format_version": 99}), "result format 99"),
    "bad name inside the manifest": ("manifest.json: scenario", _scenario_name, "name"),
    "attainment truncated": ("attainment.csv", lambda f: _truncate(f / "attainment.csv"), ""),
    "attainment empty": ("attainment.csv", lambda f: (f / "attainment.csv").write_text(""),
                         "is empty"),
    "attainment garbage": ("attainment.csv",
                           lambda f: (f / "attainment.csv").write_bytes(b"\xff\xfe\x00garbage"),
                           "not a readable table"),
    "attainment wrong column": ("attainment.csv", lambda f: _rename_column(f / "attainment.csv"),
                                "missing column(s) p_met"),
    "attainment header only": ("attainment.csv", lambda f: (f / "attainment.csv").write_text(
        (f / "attainment.csv").read_text(encoding="utf-8-sig").splitlines()[0]), "no rows"),
    "trajectories text in numbers": ("trajectories.csv", lambda f: (f / "trajectories.csv")
                                     .write_text(TRAJECTORY_HEAD + "gdp,soon,1,1,1,1,1,1,1,1\n"),
                                     "should hold numbers"),
    "joint missing": ("joint.csv is missing", lambda f: (f / "joint.csv").unlink(), ""),
    "sample missing": ("sample.nc is missing", lambda f: (f / "sample.nc").unlink(), ""),
    "sample truncated": ("sample.nc", lambda f: _truncate(f / "sample.nc"),
                         "cannot be read as NetCDF"),
    "sample is text": ("sample.nc", lambda f: (f / "sample.nc").write_text("not netcdf"),
                       "cannot be read as NetCDF"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_report_on_a_corrupt_result_names_the_file(tmp_path, saved, case) -> None:
    folder = tmp_path / "base"
    shutil.copytree(saved, folder)
    blamed, corrupt, words = CORRUPTIONS[case]
    corrupt(folder)
    result = runner.invoke(app, ["report", str(folder), "--out", str(tmp_path / "p.pdf")])
    _assert_clean_error(result, blamed, words)
    assert "saved and intact" not in result.output
    assert not (tmp_path / "p.pdf").exists()


def test_a_bad_name_in_the_manifest_is_not_blamed_on_the_scenario_file(tmp_path, saved) -> None:
    folder = tmp_path / "base"
    shutil.copytree(saved, folder)
    _edit_manifest(folder, lambda d: {**d, "scenario_source": "scenarios/original.toml"})
    _scenario_name(folder)
    with pytest.raises(ResultError) as info:
        load_result(folder)
    assert "original.toml" not in str(info.value)
    assert str(folder / "manifest.json") in str(info.value)


def test_the_saved_result_itself_reads_back(saved) -> None:
    """The checks accept what sim writes (the corruptions above are the only difference)."""
    assert load_result(saved).scenario.name == "base"
