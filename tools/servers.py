"""Throw-away PostgreSQL and Redis servers for tests and benchmarks (stdlib only).

Each server runs from a temporary directory on a free loopback port and is
stopped and removed on exit. The binaries come from Debian's packages
(``postgresql``, ``redis-server``); ``ensure_packages`` installs what is
missing when it may (root with apt-get), so CI on a fresh machine needs no
manual step. ``ensure_packages("pdf")`` does the same for what the signed
certificate PDFs need: pango for WeasyPrint, HarfBuzz's font subsetter, and
the Noto CJK fonts the certificates embed.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

DEBIAN_PACKAGES = {"postgres": "postgresql", "redis": "redis-server"}
# What WeasyPrint needs to render the certificates, and the named CJK font they embed
# (Noto Serif/Sans CJK SC: it also has characters outside the BMP, such as 𠮷).
PDF_PACKAGES = ["libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-noto-cjk"]


def _debian_package_installed(name: str) -> bool:
    if shutil.which("dpkg-query") is None:
        return False
    completed = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True
    )
    return completed.returncode == 0 and "install ok installed" in completed.stdout


def _pdf_toolchain_present() -> bool:
    libraries = ("libpango-1.0.so.0", "libpangoft2-1.0.so.0", "libharfbuzz-subset.so.0")
    found = all(glob.glob(f"/usr/lib/*/{library}") or glob.glob(f"/usr/lib/{library}")
                for library in libraries)  # fmt: skip
    fonts = glob.glob("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
    return bool(found and fonts)


# The browser tests drive Debian's Chromium through its own chromedriver: nothing downloaded.
BROWSER_PACKAGES = ["chromium", "chromium-driver"]
# The HTTP load generator of the public-tracking benchmark (a C program, Lua-scripted).
LOAD_GENERATOR_PACKAGE = "wrk"
PROXY_PACKAGE = "nginx-light"


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
    if "pdf" in names and not _pdf_toolchain_present():
        missing.extend(name for name in PDF_PACKAGES if not _debian_package_installed(name))
    if "chromium" in names and not (shutil.which("chromium") and shutil.which("chromedriver")):
        missing.extend(BROWSER_PACKAGES)
    if "wrk" in names and shutil.which("wrk") is None:
        missing.append(LOAD_GENERATOR_PACKAGE)
    if "nginx" in names and shutil.which("nginx") is None and not os.path.exists("/usr/sbin/nginx"):
        missing.append(PROXY_PACKAGE)
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit(
            f"Please install the Debian packages {' '.join(missing)} (needed by OneWindow)."
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
def postgres_server(*settings: str) -> Iterator[str]:
    """Start a PostgreSQL cluster; yield its ``DATABASE_URL``. ``settings`` are extra
    ``name=value`` server settings (e.g. ``shared_preload_libraries=pg_stat_statements``)."""
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
                 "-c", "full_page_writes=off", "-c", "max_connections=300",
                 *[part for setting in settings for part in ("-c", setting)]]
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


class PostgresServer:
    """A PostgreSQL cluster on a free loopback port that can be restarted on the same port
    and data directory (a database outage: every connection is broken, nothing is lost)."""

    def __init__(self, *settings: str) -> None:
        ensure_packages("postgres")
        bin_dir = postgres_bin_dir()
        assert bin_dir is not None
        self.bin_dir = bin_dir
        self.settings = settings
        self.base = Path(tempfile.mkdtemp(prefix="onewindow-pg-"))
        self.data = self.base / "data"
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.base, user.pw_uid, user.pw_gid)
        self.port = free_port()
        self.url = f"postgres://onewindow@127.0.0.1:{self.port}/onewindow"
        self.process: subprocess.Popen | None = None
        subprocess.run(
            _as_postgres_user(
                [str(bin_dir / "initdb"), "-D", str(self.data), "-U", "onewindow", "--auth=trust",
                 "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip

    def start(self) -> None:
        self.process = subprocess.Popen(
            _as_postgres_user(
                [str(self.bin_dir / "postgres"), "-D", str(self.data), "-p", str(self.port),
                 "-k", str(self.base), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                 "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                 "-c", "max_connections=300",
                 *[part for setting in self.settings for part in ("-c", setting)]]
            ),
            stdout=subprocess.DEVNULL,
            stderr=open(self.base / "postgres.log", "a"),  # noqa: SIM115 - lives as long as the server
        )  # fmt: skip
        _wait_for_port(self.port)

    def create_database(self) -> None:
        subprocess.run(
            _as_postgres_user(
                [str(self.bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                 "-U", "onewindow", "onewindow"]
            ),
            check=True,
        )  # fmt: skip

    def stop(self) -> None:
        """A fast shutdown (``pg_ctl stop -m fast``): open transactions are rolled back,
        every session is cut. (A signal to the ``runuser`` wrapper would not reach it.)"""
        if self.process is not None:
            subprocess.run(
                _as_postgres_user(
                    [str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data), "-m", "fast", "-s"]
                ),
                check=False,
            )
            self.process.wait(timeout=60)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def postgres_server_handle(*settings: str) -> Iterator[PostgresServer]:
    """Start a PostgreSQL cluster with an empty ``onewindow`` database; yield it, so the
    caller can restart it (``url`` is its ``DATABASE_URL``)."""
    server = PostgresServer(*settings)
    try:
        server.start()
        server.create_database()
        yield server
    finally:
        server.remove()


class RedisServer:
    """A Redis server on a free loopback port, without persistence, that can be restarted
    on the same port (a broker outage: every queued message is lost)."""

    def __init__(self) -> None:
        ensure_packages("redis")
        self.base = Path(tempfile.mkdtemp(prefix="onewindow-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.base),
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Start a Redis server; yield its ``REDIS_URL``."""
    with redis_server_handle() as server:
        yield server.url


@contextlib.contextmanager
def redis_server_handle() -> Iterator[RedisServer]:
    """Start a Redis server; yield it, so the caller can restart it."""
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()


class CeleryWorker:
    """A real ``celery worker`` process (prefork pool) in its own process group, so
    ``kill()`` can SIGKILL the main process and its pool children at once."""

    def __init__(
        self,
        name: str,
        env: dict[str, str],
        *,
        python: str,
        cwd: Path,
        concurrency: int = 2,
        queues: str = "celery",
        log_dir: Path | None = None,
        pool: str = "prefork",
    ) -> None:
        self.name = name
        self.env = env
        self.python = python
        self.cwd = cwd
        self.concurrency = concurrency
        self.queues = queues
        self.pool = pool
        self.log_path = (log_dir or Path(tempfile.gettempdir())) / f"celery-{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.python, "-m", "celery", "-A", "onewindow", "worker", "--pool", self.pool,
             "--concurrency", str(self.concurrency), "--hostname", f"{self.name}@%h",
             "--queues", self.queues, "--loglevel", "info",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=self.cwd,
            env=self.env,
            stdout=open(self.log_path, "a"),  # noqa: SIM115 - lives as long as the worker
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited: see {self.log_path}")
            if " ready." in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker {self.name} not ready within {timeout} s: see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool: no shutdown, no acknowledgements, no clean-up."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None
