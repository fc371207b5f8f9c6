"""Throw-away PostgreSQL and Redis servers for tests and benchmarks (stdlib only).

Each server runs from a temporary directory on a free loopback port and is
stopped and removed on exit. The binaries come from Debian's packages
(``postgresql``, ``redis-server``); ``ensure_packages`` installs what is
missing when it may (root with apt-get), so CI on a fresh machine needs no
manual step.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

DEBIAN_PACKAGES = {"postgres": "postgresql", "redis": "redis-server"}
# The browser tests drive Debian's Chromium through its own chromedriver: nothing downloaded.
BROWSER_PACKAGES = ["chromium", "chromium-driver"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_bin_dir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def ensure_packages(*names: str) -> None:
    """Install the Debian packages of the named servers that are not on the machine."""
    missing = []
    if "postgres" in names and postgres_bin_dir() is None:
        missing.append(DEBIAN_PACKAGES["postgres"])
    if "redis" in names and shutil.which("redis-server") is None:
        missing.append(DEBIAN_PACKAGES["redis"])
    if "chromium" in names and not (shutil.which("chromium") and shutil.which("chromedriver")):
        missing.extend(BROWSER_PACKAGES)
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit(
            f"Please install the Debian packages {' '.join(missing)} (needed by the tests)."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
    )


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start within {timeout} s")


def _as_postgres_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Start a PostgreSQL cluster; yield its ``DATABASE_URL``."""
    ensure_packages("postgres")
    bin_dir = postgres_bin_dir()
    assert bin_dir is not None
    base = Path(tempfile.mkdtemp(prefix="onewindow-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
    port = free_port()
    try:
        subprocess.run(
            _as_postgres_user(
                [str(bin_dir / "initdb"), "-D", str(data), "-U", "onewindow", "--auth=trust", "-E", "UTF8",
                 "--locale=C.UTF-8", "--no-sync"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        server = subprocess.Popen(
            _as_postgres_user(
                [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(base),
                 "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "max_connections=300"]
            ),
            stdout=subprocess.DEVNULL,
            stderr=open(base / "postgres.log", "w"),  # noqa: SIM115 - lives as long as the server
        )  # fmt: skip
        try:
            _wait_for_port(port)
            subprocess.run(
                _as_postgres_user(
                    [
                        str(bin_dir / "createdb"),
                        "-h",
                        "127.0.0.1",
                        "-p",
                        str(port),
                        "-U",
                        "onewindow",
                        "onewindow",
                    ]
                ),
                check=True,
            )
            yield f"postgres://onewindow@127.0.0.1:{port}/onewindow"
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Start a Redis server; yield its ``REDIS_URL``."""
    ensure_packages("redis")
    base = Path(tempfile.mkdtemp(prefix="onewindow-redis-"))
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(base),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(base, ignore_errors=True)
