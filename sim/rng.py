"""Named random streams: every random purpose has its own stream, keyed by name, not position.

A stream is ``SeedSequence(seed, spawn_key=(chunk, stable_hash(name)))``. Because the key is a
hash of the name, adding a component or a parameter never changes another stream's numbers,
and because draws are cut into chunks of a fixed size, results do not depend on how many
worker processes run the chunks (DESIGN §5).
"""

from __future__ import annotations

import hashlib

import numpy as np


def stable_hash(name: str) -> int:
    """A 64-bit integer from a name, the same on every machine and Python version."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


def stream(seed: int, chunk: int, name: str) -> np.random.Generator:
    """The generator for purpose ``name`` in chunk ``chunk`` of a run seeded with ``seed``."""
    seq = np.random.SeedSequence(seed, spawn_key=(chunk, stable_hash(name)))
    return np.random.Generator(np.random.PCG64(seq))
