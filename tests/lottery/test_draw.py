"""The draw (issue 16.6): exact weighted sampling without replacement, checked against
an independent implementation written from the issue's text; the seed commitment."""

from __future__ import annotations

import hashlib
import random

import pytest

from lottery.draw import entry_key, pool_lines, pool_parse, winners


def reference_winners(seed: bytes, pool: list[tuple[str, int]], quota: int) -> list[str]:
    """The issue's algorithm, literally: every ticket's hash, the smallest per application,
    everything sorted."""
    keyed = []
    for code, weight in pool:
        tickets = [
            int(
                hashlib.sha256(seed + code.encode("ascii") + b":" + str(j).encode()).hexdigest(), 16
            )
            for j in range(1, weight + 1)
        ]
        keyed.append((min(tickets), code))
    keyed.sort()
    return [code for _key, code in keyed[:quota]]


@pytest.mark.parametrize("quota", [1, 7, 300, 5000])
def test_the_draw_matches_the_reference_on_a_weighted_pool(quota):
    rng = random.Random(16)
    pool = sorted(
        (f"{rng.randrange(10**13):013d}", rng.choice([1, 1, 1, 2, 3, 7])) for _ in range(3000)
    )
    seed = bytes(rng.randrange(256) for _ in range(32))
    assert winners(seed=seed, pool=pool, quota=quota) == reference_winners(seed, pool, quota)


def test_more_tickets_win_more_often():
    """Over many seeds an application with 4 tickets wins about 4 times as often as one
    with 1 (one place among 50 applications)."""
    pool = [(f"{n:013d}", 4 if n < 5 else 1) for n in range(50)]
    wins = {"heavy": 0, "light": 0}
    for round_number in range(2000):
        (code,) = winners(seed=round_number.to_bytes(4, "big"), pool=pool, quota=1)
        wins["heavy" if int(code) < 5 else "light"] += 1
    # 5 × 4 tickets against 45 × 1: the heavy group holds 20 of 65 tickets.
    assert 0.25 < wins["heavy"] / 2000 < 0.37


def test_a_key_is_the_smallest_ticket_and_the_seed_changes_everything():
    seed = b"\x01" * 32
    one = entry_key(seed, "0000000000001", 1)
    three = entry_key(seed, "0000000000001", 3)
    assert three <= one
    assert entry_key(b"\x02" * 32, "0000000000001", 1) != one


def test_the_pool_file_round_trips():
    entries = [("0000000000001", 1), ("0000000000002", 3)]
    lines = list(pool_lines(entries))
    assert lines == [b"0000000000001,1\n", b"0000000000002,3\n"]
    assert list(pool_parse(lines + [b"\n"])) == entries
