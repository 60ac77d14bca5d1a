"""Noise streams that repeat what a sibling drew, for as long as they would draw the same.

Scenarios whose levers differ run a component once each (:mod:`sim.chunk`), but much of what
the component draws does not depend on the levers: a stream of platform counts the lever does
not touch, the review strictness of a year, every draw of a year before the lever's effect
reaches the stream. A generator's next numbers depend only on its state and on the call
(method and arguments), so when the first group's stream is *recorded* — every call with its
arguments, result and the generator state after it — a later group's stream, starting from the
same state, may *replay* a recorded call whose method and arguments are bit for bit the same:
the result and the state after it are exactly those its own generator would give. At the first
call that differs (or one the log cannot stand for: an in-place method, an ``out=`` argument,
direct access to the bit generator), the replaying stream becomes a real generator at the state
after its last replayed call and draws for itself from then on.

Arguments and results are copied into the log and results are copied out of it, so a component
that changes an array in place cannot change what another group sees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np

# Methods of numpy.random.Generator whose result and next state depend only on the state and
# the arguments, and which change nothing in place: only these are recorded and replayed.
PURE = frozenset({
    "beta", "binomial", "chisquare", "choice", "dirichlet", "exponential", "f", "gamma",
    "geometric", "gumbel", "hypergeometric", "integers", "laplace", "logistic", "lognormal",
    "logseries", "multinomial", "multivariate_hypergeometric", "multivariate_normal",
    "negative_binomial", "noncentral_chisquare", "noncentral_f", "normal", "pareto",
    "permutation", "poisson", "power", "random", "rayleigh", "standard_cauchy",
    "standard_exponential", "standard_gamma", "standard_normal", "standard_t", "triangular",
    "uniform", "vonmises", "wald", "weibull", "zipf",
})  # fmt: skip
_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


class Log:
    """The calls one group made to one stream, from a known starting state."""

    def __init__(self, gen: np.random.Generator):
        self.kind = type(gen.bit_generator)
        self.start = gen.bit_generator.state
        # (method, args, kwargs, result, state after); None: a call that cannot be replayed
        self.calls: list[tuple[str, Any, Any, Any, Any] | None] = []


class Recorded:
    """A generator that logs its calls for replay (the first group of a component)."""

    def __init__(self, gen: np.random.Generator, log: Log):
        self._gen = gen
        self._log = log

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._gen, name)
        if name not in PURE:
            self._log.calls.append(None)  # later groups draw for themselves from here on
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if "out" in kwargs:
                self._log.calls.append(None)
            else:
                entry = (name, _kept(args), _kept(kwargs), _kept(result))
                self._log.calls.append((*entry, self._gen.bit_generator.state))
            return result

        return call


class Replayed:
    """A generator that repeats a log while it is asked the same, then draws for itself."""

    def __init__(self, log: Log):
        self._log = log
        self._at = 0  # calls replayed so far
        self._gen: np.random.Generator | None = None

    def __getattr__(self, name: str) -> Any:
        if self._gen is not None or name not in PURE:
            return getattr(self._own(), name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if self._gen is None and self._at < len(self._log.calls):
                entry = self._log.calls[self._at]
                if entry is not None and entry[0] == name and _same(entry[1], args) \
                        and _same(entry[2], kwargs):  # fmt: skip
                    self._at += 1
                    return _kept(entry[3])
            return getattr(self._own(), name)(*args, **kwargs)

        return call

    def _own(self) -> np.random.Generator:
        """The real generator, at the state after the last replayed call."""
        if self._gen is None:
            previous = self._log.calls[self._at - 1] if self._at else None
            bits = self._log.kind()
            bits.state = previous[4] if previous is not None else self._log.start
            self._gen = np.random.Generator(bits)
        return self._gen


def recorded(gen: np.random.Generator, logs: dict[str, Log], name: str) -> np.random.Generator:
    """``gen`` wrapped so that its calls are logged in ``logs[name]`` (a new log)."""
    logs[name] = Log(gen)
    return cast(np.random.Generator, Recorded(gen, logs[name]))


def replayed(
    logs: dict[str, Log], name: str, fresh: Callable[[], np.random.Generator]
) -> np.random.Generator:
    """A stream that replays ``logs[name]``, or ``fresh()`` if nothing was logged under it."""
    if name not in logs:
        return fresh()
    return cast(np.random.Generator, Replayed(logs[name]))


def _kept(x: Any) -> Any:
    """A copy of arrays (in tuples, lists and dicts too); anything else as it is."""
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, tuple | list):
        return type(x)(_kept(v) for v in x)
    if isinstance(x, dict):
        return {k: _kept(v) for k, v in x.items()}
    return x


def _same(a: Any, b: Any) -> bool:
    """Whether two arguments are the same, bit for bit (so -0.0 is not 0.0, and NaN is itself
    only with the same payload); anything not understood is not the same."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                and a.dtype == b.dtype and a.shape == b.shape and _bitwise_equal(a, b))  # fmt: skip
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float | np.floating | complex | np.complexfloating):
        return np.asarray(a).tobytes() == np.asarray(b).tobytes()
    if isinstance(a, int | str | bytes | np.integer | np.bool_) or a is None:
        return bool(a == b)
    return a is b


def _bitwise_equal(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype.kind not in "biuf" or a.dtype.itemsize not in _UNSIGNED:
        return False
    as_bits = _UNSIGNED[a.dtype.itemsize]
    return bool(np.array_equal(a.view(as_bits), b.view(as_bits)))
