"""The processes a benchmark runs and the CPU time they used, read from /proc."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Process:
    parent: int
    name: str  # the program (``comm``)
    command: str  # the whole command line
    cpu_seconds: float


def process_table() -> dict[int, Process]:
    """Every process now, by pid.

    ``cpu_seconds`` is the process's own user + system time plus that of its children
    that have exited and been waited for (``cutime``/``cstime``): PostgreSQL backends and
    pool processes that come and go are counted by their parent."""
    ticks = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        table[int(entry.name)] = Process(
            parent=int(fields[1]),
            name=raw[raw.index("(") + 1 : raw.rindex(")")],
            command=command,
            cpu_seconds=sum(int(value) for value in fields[11:15]) / ticks,
        )
    return table


def descendants(table: dict[int, Process], roots: Iterable[int]) -> set[int]:
    """The pids below ``roots`` (children, their children...), not the roots themselves."""
    found: set[int] = set()
    frontier = list(roots)
    while frontier:
        parent = frontier.pop()
        for pid, process in table.items():
            if process.parent == parent and pid not in found:
                found.add(pid)
                frontier.append(pid)
    return found
