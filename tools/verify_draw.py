#!/usr/bin/env python3
"""Re-run a lottery round's draw from its published pool and seed (standard library only).

    python tools/verify_draw.py pool.csv --seed HEX --quota N [--pool-sha256 HEX] [--seed-sha256 HEX]

Prints the pool file's SHA-256 (as ``sha256sum`` does: ``<hex>  <file>``), then the winning
lottery codes in draw order, one per line; counts and time go to standard error. Exit
status: 0 when done, 1 when the pool's SHA-256 (or the seed's) is not the one given,
2 when the input is unusable (a bad line, a bad seed).

The draw, as published: the pool holds one ``lottery_code,weight`` line per eligible
application, sorted by lottery code. For each line ``c,w`` and each ``j`` = 1…w,
``t = SHA-256(seed_bytes ‖ c as ASCII ‖ ":" ‖ j in decimal)`` read as a big-endian
integer; the application's key is its smallest ``t``; applications are sorted by
(key, lottery code) ascending and the first ``quota`` win, in that order.

Written apart from the project's own implementation, on purpose: anyone can read this
file alone and check a result. The pool is streamed (one line at a time, only the
``quota`` best keys kept), so memory does not grow with the pool.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import re
import sys
import time
from collections.abc import Iterator
from typing import BinaryIO

# A lottery code: printable ASCII, no comma, no space.
CODE = re.compile(rb"[!-+\--~]+")
WEIGHT = re.compile(rb"[1-9][0-9]*")
HEX = re.compile(r"[0-9a-fA-F]+")


class PoolError(Exception):
    """The pool file cannot be read as a pool; the message names the line."""


class _Pool:
    """Reads the pool's lines, checks each, and hashes the bytes as they go by."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()
        self.entries = 0
        self.tickets = 0

    def entries_keyed(self, seed: bytes) -> Iterator[tuple[bytes, bytes]]:
        """``(key, code)`` for every line. SHA-256 digests all have 32 bytes, so comparing
        them as byte strings orders them as their big-endian integers."""
        previous = b""
        sha256 = hashlib.sha256
        for number, line in enumerate(self.stream, start=1):
            self.digest.update(line)
            text = line.rstrip(b"\r\n")
            if not text.strip():
                continue
            code, comma, weight_text = text.partition(b",")
            if not comma or not CODE.fullmatch(code) or not WEIGHT.fullmatch(weight_text):
                raise PoolError(
                    f"第 {number} 行不是“摇号编码,权重”（权重为正整数）/ line {number} is not "
                    f"'lottery_code,weight' with a positive weight: {text[:80]!r}"
                )
            if code <= previous:
                raise PoolError(
                    f"第 {number} 行的摇号编码没有排在上一行之后（重复或未按编码排序）/ line "
                    f"{number}: the lottery code is not after the previous line's (a duplicate, "
                    "or the pool is not sorted by lottery code)"
                )
            previous = code
            weight = int(weight_text)
            prefix = seed + code + b":"
            key = sha256(prefix + b"1").digest()
            for ticket in range(2, weight + 1):
                candidate = sha256(prefix + str(ticket).encode("ascii")).digest()
                if candidate < key:
                    key = candidate
            self.entries += 1
            self.tickets += weight
            yield key, code


def draw(stream: BinaryIO, *, seed: bytes, quota: int) -> tuple[list[str], _Pool]:
    """The winning codes in draw order, and the pool as read (its digest and counts)."""
    pool = _Pool(stream)
    best = heapq.nsmallest(quota, pool.entries_keyed(seed))
    # The whole file is hashed, whatever follows the last entry.
    for rest in iter(lambda: stream.read(1 << 20), b""):
        pool.digest.update(rest)
    return [code.decode("ascii") for _key, code in best], pool


def _hex(value: str, *, what: str, length: int | None = None) -> str:
    text = value.strip()
    if not HEX.fullmatch(text) or len(text) % 2 or (length is not None and len(text) != length):
        size = f"{length} 位" if length else "偶数位"
        raise argparse.ArgumentTypeError(
            f"{what}必须是{size}十六进制数 / {what} must be hexadecimal"
            + (f" of {length} digits" if length else " with an even number of digits")
        )
    return text.lower()


def _quota(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(
            "指标数必须是正整数 / the quota must be a positive integer"
        )
    return number


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(
        description="由公布的资格池和种子复算摇号结果（仅用Python标准库）/ re-run a lottery "
        "draw from the published pool and seed (Python standard library only).",
    )
    made.add_argument(
        "pool", help="资格池文件（每行“摇号编码,权重”），- 为标准输入 / the pool file, - for stdin"
    )
    made.add_argument(
        "--seed",
        required=True,
        type=lambda value: _hex(value, what="种子 seed "),
        help="公布的摇号种子（十六进制）/ the published seed (hex)",
    )
    made.add_argument("--quota", required=True, type=_quota, help="指标数 / the round's quota")
    made.add_argument(
        "--pool-sha256",
        type=lambda value: _hex(value, what="资格池SHA-256 ", length=64),
        help="公布的资格池SHA-256，不符时退出码为1 / the published pool SHA-256; exit 1 if it differs",
    )
    made.add_argument(
        "--seed-sha256",
        type=lambda value: _hex(value, what="种子SHA-256 ", length=64),
        help="开放申请时公布的种子承诺，不符时退出码为1 / the seed commitment published at opening",
    )
    return made


def main(argv: list[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    seed = bytes.fromhex(arguments.seed)
    if not seed:
        print("种子不能为空 / the seed is empty", file=sys.stderr)
        return 2
    if arguments.seed_sha256 and hashlib.sha256(seed).hexdigest() != arguments.seed_sha256:
        print(
            f"种子的SHA-256 {hashlib.sha256(seed).hexdigest()} 与公布的承诺 "
            f"{arguments.seed_sha256} 不符 / the seed's SHA-256 is not the published commitment",
            file=sys.stderr,
        )
        return 1
    started = time.monotonic()
    try:
        if arguments.pool == "-":
            winners, pool = draw(sys.stdin.buffer, seed=seed, quota=arguments.quota)
        else:
            with open(arguments.pool, "rb") as stream:
                winners, pool = draw(stream, seed=seed, quota=arguments.quota)
    except OSError as error:
        print(f"无法读取资格池文件 / cannot read the pool file: {error}", file=sys.stderr)
        return 2
    except PoolError as error:
        print(str(error), file=sys.stderr)
        return 2
    pool_sha256 = pool.digest.hexdigest()
    print(f"{pool_sha256}  {arguments.pool}")
    if arguments.pool_sha256 and pool_sha256 != arguments.pool_sha256:
        print(
            f"资格池的SHA-256 {pool_sha256} 与公布的 {arguments.pool_sha256} 不符 / the pool's "
            "SHA-256 is not the published one",
            file=sys.stderr,
        )
        return 1
    sys.stdout.write("".join(f"{code}\n" for code in winners))
    print(
        f"{pool.entries} 份申请，{pool.tickets} 个号，{len(winners)} 份中签，用时 "
        f"{time.monotonic() - started:.1f} 秒 / {pool.entries} entries, {pool.tickets} tickets, "
        f"{len(winners)} winners",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
