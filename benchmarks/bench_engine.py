"""Benchmark of the engine: wall time, draws per second, peak memory, ratio to the RNG floor.

    .venv/bin/python benchmarks/bench_engine.py                 # 1e4, 1e5, 1e6 draws, jobs 1 and 2
    .venv/bin/python benchmarks/bench_engine.py --draws 10000000 --jobs 2   # the memory check

Each configuration runs in a fresh subprocess, so its peak resident memory (ru_maxrss of the
child and its workers) is its own. The RNG floor is measured by recording every call the
model makes to its random generators for one full chunk (parameter priors and process noise),
then replaying exactly those calls, with the same arguments, on fresh generators: the time to
produce the same random variates with no model around them.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class Recorder:
    """A numpy Generator that remembers every call (method, args, kwargs)."""

    def __init__(self, gen: np.random.Generator, log: list):
        self._gen = gen
        self._log = log

    def __getattr__(self, name: str):
        method = getattr(self._gen, name)

        def call(*args, **kwargs):
            self._log.append((name, args, kwargs))
            return method(*args, **kwargs)

        return call


def rng_floor(repeats: int = 5) -> dict[str, float]:
    """Seconds per chunk: the model (simulate_chunk) and the replay of its random calls."""
    from unittest import mock

    import sim.models.contract
    import sim.priors
    from sim.engine import simulate_chunk
    from sim.plan import CHUNK
    from sim.rng import stream
    from sim.scenario import status_quo

    sc = status_quo()
    years = (2022, 2023, 2024, 2025)
    simulate_chunk(sc, 0, CHUNK, 1, years)  # warm up imports and caches
    model = min(_timed(lambda: simulate_chunk(sc, 0, CHUNK, 1, years)) for _ in range(repeats))
    log: list = []

    def recording_stream(seed, chunk, name):
        return Recorder(stream(seed, chunk, name), log)

    with mock.patch.object(sim.priors, "stream", recording_stream), \
         mock.patch.object(sim.models.contract, "stream", recording_stream):  # fmt: skip
        simulate_chunk(sc, 0, CHUNK, 1, years)
    calls = list(log)
    variates = sum(int(np.size(_result_size(a, k))) for _, a, k in calls)

    def replay():
        gen = np.random.Generator(np.random.PCG64(1))
        for name, args, kwargs in calls:
            getattr(gen, name)(*args, **kwargs)

    floor = min(_timed(replay) for _ in range(repeats))
    return {"chunk": CHUNK, "model_s": model, "floor_s": floor, "ratio": model / floor,
            "rng_calls": len(calls), "variates_per_draw": variates / CHUNK}  # fmt: skip


def _result_size(args, kwargs):
    size = kwargs.get("size")
    if size is None and args:
        candidates = [np.shape(a) for a in args if np.ndim(a) > 0]
        if isinstance(args[-1], int):
            return np.empty(args[-1])
        return np.empty(candidates[0]) if candidates else np.empty(1)
    return np.empty(size if size is not None else 1)


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def one_run(draws: int, jobs: int) -> None:
    """Child process: run the baseline once, print JSON with time and peak memory."""
    from sim.runner import run
    from sim.scenario import status_quo

    t = time.perf_counter()
    run(status_quo(draws=draws), jobs=jobs)
    wall = time.perf_counter() - t
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "draws": draws,
                "jobs": jobs,
                "wall_s": wall,
                "draws_per_s": draws / wall,
                "peak_mib": max(own, kids) / 1024,
                "peak_sum_mib": (own + kids) / 1024,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        one_run(*args.child)
        return
    floor = rng_floor()
    print(
        f"RNG floor (one chunk of {floor['chunk']} draws, {floor['rng_calls']} generator calls, "
        f"{floor['variates_per_draw']:.0f} variates per draw): "
        f"model {floor['model_s'] * 1e3:.1f} ms, variates alone {floor['floor_s'] * 1e3:.1f} ms, "
        f"ratio {floor['ratio']:.2f}"
    )
    print("| draws | jobs | wall s | draws/s | peak MiB (largest process) | peak MiB (sum) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for draws in args.draws:
        for jobs in args.jobs:
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(draws), str(jobs)],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"| {draws:,} | {jobs} | {r['wall_s']:.2f} | {r['draws_per_s']:,.0f} | "
                f"{r['peak_mib']:.0f} | {r['peak_sum_mib']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
