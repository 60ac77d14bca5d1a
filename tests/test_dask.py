"""Runs on a Dask cluster give the local result, bit for bit, and fail clearly when they cannot.

Against a ``distributed.LocalCluster`` with real worker processes (two, one thread each):
every table of a run and of a two-scenario run equals the local run's exactly (integer counts,
merged in block order), through the Python API (``executor=``, ``scheduler=``) and the command
line (``--scheduler``, ``--executor dask``). A wrong address is an error within seconds, a
worker with another sim is refused naming both versions, and an interrupted run closes its
client and cluster. Exact comparisons: no tolerance, no false-failure rate.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import sim.executors
from sim.catalogue import PACKAGED_DIR, use_catalogue
from sim.cli import app
from sim.errors import SimError
from sim.executors import executor_from_options
from sim.runner import run, run_many
from sim.scenario import status_quo

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
DRAWS = 20_000  # three chunks: the pilot here, two on the workers
runner = CliRunner()


def same_results(a, b) -> None:
    for name, table in a.tables().items():
        pd.testing.assert_frame_equal(b.tables()[name], table, check_exact=True)
    assert a.sample.equals(b.sample)


def test_without_dask_installed_the_message_says_how_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(SimError, match=r"sim\[dask\]"), executor_from_options("dask"):
        pass


def test_the_fingerprint_follows_the_catalogue(tmp_path) -> None:
    here = sim.executors.fingerprint()
    copy = shutil.copytree(PACKAGED_DIR, tmp_path / "catalogue")
    with use_catalogue(copy):
        assert sim.executors.fingerprint() == here  # the same files elsewhere: the same print
    with (copy / "levers.toml").open("a", encoding="utf-8") as f:
        f.write("\n# an analyst's change\n")
    with use_catalogue(copy):
        assert sim.executors.fingerprint() != here


def test_an_unknown_executor_is_refused() -> None:
    with pytest.raises(SimError, match="unknown executor 'spark'"), executor_from_options("spark"):
        pass


@pytest.fixture(scope="module")
def distributed():
    return pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster(distributed):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as local:  # fmt: skip
        yield local


@pytest.fixture(scope="module")
def local_runs():
    base = status_quo("base", draws=DRAWS, seed=3)
    more = base.with_levers(cultivation_programme=2400).renamed("more")
    return base, more, run(base), run_many([base, more])


@pytest.mark.slow
def test_a_run_on_the_cluster_is_the_local_run(cluster, local_runs) -> None:
    base, _, alone, _ = local_runs
    same_results(alone, run(base, scheduler=cluster.scheduler_address))


@pytest.mark.slow
def test_two_scenarios_on_the_cluster_are_the_local_runs(distributed, cluster, local_runs) -> None:
    base, more, _, together = local_runs
    seen: list[int] = []
    with distributed.Client(cluster, set_as_default=False) as client:
        remote = run_many([base, more], jobs=2, executor=client.get_executor(),
                          on_progress=lambda done, total: seen.append(done))  # fmt: skip
    for a, b in zip(together, remote, strict=True):
        same_results(a, b)
    assert seen[-1] == DRAWS and seen == sorted(seen)


@pytest.mark.slow
def test_the_command_line_on_a_cluster_saves_the_local_result(cluster, tmp_path) -> None:
    args = ["run", str(BASELINE), "--draws", str(DRAWS), "-q", "--no-charts"]
    local = runner.invoke(app, [*args, "--out", str(tmp_path / "local")])
    remote = runner.invoke(app, [*args, "--out", str(tmp_path / "remote"),
                                 "--scheduler", cluster.scheduler_address])  # fmt: skip
    own = runner.invoke(app, [*args, "--out", str(tmp_path / "own"), "--executor", "dask",
                              "--jobs", "2"])  # fmt: skip
    for done in (local, remote, own):
        assert done.exit_code == 0, done.output
    assert "running on the Dask scheduler at tcp://" in remote.output
    assert "running on a local Dask cluster of 2 worker processes" in own.output
    want = pd.read_csv(tmp_path / "local" / "baseline" / "attainment.csv")
    for where in ("remote", "own"):
        got = pd.read_csv(tmp_path / where / "baseline" / "attainment.csv")
        pd.testing.assert_frame_equal(got, want, check_exact=True)


@pytest.mark.slow
def test_a_wrong_address_is_an_error_within_seconds(distributed) -> None:
    t = time.perf_counter()
    done = runner.invoke(app, ["run", str(BASELINE), "--draws", "1000", "-q", "--no-charts",
                               "--scheduler", "tcp://127.0.0.1:9"])  # fmt: skip
    assert done.exit_code == 2
    assert "cannot connect to the Dask scheduler at tcp://127.0.0.1:9" in done.output
    assert time.perf_counter() - t < sim.executors.CONNECT_SECONDS + 10


@pytest.mark.slow
def test_workers_with_another_sim_are_refused(cluster, monkeypatch) -> None:
    monkeypatch.setattr(sim.executors, "__version__", "99.0")  # here; the workers run the real one
    with pytest.raises(SimError, match=r"2 of the 2 workers .* run sim .*, not sim 99\.0"), \
            executor_from_options("dask", cluster.scheduler_address):  # fmt: skip
        pass


@pytest.mark.slow
def test_an_interrupted_run_closes_its_client_and_cluster(distributed) -> None:
    psutil = pytest.importorskip("psutil")
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with pytest.raises(KeyboardInterrupt), executor_from_options("dask", None, 2) as workers:
        client = workers.executor._client  # type: ignore[union-attr]
        started = {p.pid for p in psutil.Process().children(recursive=True)} - before
        assert started  # the local cluster's worker processes
        raise KeyboardInterrupt
    assert client.status == "closed"
    left = {p.pid for p in psutil.Process().children(recursive=True)} & started
    assert not left


@pytest.mark.slow
def test_sensitivity_and_requirements_on_the_cluster_are_the_local_ones(cluster) -> None:
    """The analysis commands take --scheduler too, and give the local numbers (only the
    elapsed seconds differ)."""
    import json

    for command in (["sensitivity", str(BASELINE), "--draws", "3000", "--targets",
                     "rd_to_gdp_2025", "--json"],
                    ["requirements", str(BASELINE), "--draws", "1000", "--force", "--targets",
                     "research_projects_each_year", "--json"]):  # fmt: skip
        local = runner.invoke(app, command)
        remote = runner.invoke(app, [*command, "--scheduler", cluster.scheduler_address])
        assert local.exit_code == 0 and remote.exit_code == 0, (local.output, remote.output)
        want, got = (json.loads(r.stdout) for r in (local, remote))
        for doc in (want, got):
            doc.pop("seconds", None)
        assert got == want, command[0]
