"""Common random numbers: one independent random stream per (seed, replication, thing).

A draw depends only on its key, never on the order events happen in, so every policy sees the
same patients, outcomes, arrival times and consultation lengths.
"""

from __future__ import annotations

import hashlib
import math
import random


def stream(*key: object) -> random.Random:
    """Return a generator seeded by a stable hash of `key` (Python's own hash is salted)."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def lognormal(rng: random.Random, mean: float, cv: float) -> float:
    """Draw from the lognormal with this mean and coefficient of variation."""
    sigma2 = math.log1p(cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


def poisson(rng: random.Random, mean: float) -> int:
    """Draw a Poisson count (Knuth's method; means here are small)."""
    if mean <= 0:
        return 0
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k
