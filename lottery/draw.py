"""The draw: weighted sampling without replacement, exact, with no floating point.

For each application with lottery code ``c`` and weight ``w``, for ``j`` = 1…w,
``t = SHA-256(seed ‖ c as ASCII ‖ ":" ‖ j in decimal)`` read as a big-endian integer;
the application's key is its smallest ``t``; applications sorted by (key, lottery code)
ascending; the first ``quota`` win, in that order. Anyone can re-run it from the
published pool and seed (``tools/verify_draw.py`` does, with the standard library only).

The pool streams through: only the ``quota`` best keys are kept (a heap), so memory
does not grow with the pool.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Iterator


def entry_key(seed: bytes, lottery_code: str, weight: int) -> int:
    prefix = hashlib.sha256(seed + lottery_code.encode("ascii") + b":")
    best = None
    for ticket in range(1, weight + 1):
        digest = prefix.copy()
        digest.update(str(ticket).encode("ascii"))
        value = int.from_bytes(digest.digest(), "big")
        if best is None or value < best:
            best = value
    assert best is not None
    return best


def winners(*, seed: bytes, pool: Iterable[tuple[str, int]], quota: int) -> list[str]:
    """The winning lottery codes, in draw order."""
    keyed = ((entry_key(seed, code, weight), code) for code, weight in pool)
    return [code for _key, code in heapq.nsmallest(quota, keyed)]


def pool_lines(entries: Iterable[tuple[str, int]]) -> Iterator[bytes]:
    """The published pool file: ``lottery_code,weight`` lines (sorted by the caller)."""
    for code, weight in entries:
        yield f"{code},{weight}\n".encode("ascii")


def pool_parse(lines: Iterable[bytes]) -> Iterator[tuple[str, int]]:
    for line in lines:
        text = line.decode("ascii").strip()
        if text:
            code, weight = text.split(",")
            yield code, int(weight)
