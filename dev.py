#!/usr/bin/env python3
"""The two commands of OneWindow, runnable on a fresh machine with only Python 3.11.

    python3 dev.py run     # set up, load the demo data, serve http://127.0.0.1:8000/
    python3 dev.py test    # set up, run every test

Set-up is the same for both: a virtual environment in .venv with the project
and its pinned dependency ranges installed (redone only when pyproject.toml
changes), then the database migrated. Everything else comes from environment
variables (see .env.example); without any, the embedded mode runs: SQLite and
Celery tasks in-process.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".onewindow-installed"
# Demo cases in every state, so the queues and dashboards show something (about 15 s the
# first time on a laptop, nothing on later runs: they are kept).
DEMO_CASES = 60


def say(message: str) -> None:
    print(f"[onewindow] {message}", flush=True)


def run(*command: str | os.PathLike, env: dict[str, str] | None = None) -> None:
    completed = subprocess.run([str(part) for part in command], cwd=ROOT, env=env)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - runs under whatever python3 the machine has
        sys.exit(f"OneWindow needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        say("creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        say("installing OneWindow and its dependencies (first run only)")
        run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev,full]")
        STAMP.write_text(wanted)
    # System libraries and fonts of the certificate PDFs (apt-get when root, else a message).
    sys.path.insert(0, str(ROOT))
    from tools.servers import ensure_packages

    ensure_packages("pdf")


def manage(*arguments: str, settings: str = "onewindow.settings.dev") -> None:
    run(PYTHON, "manage.py", *arguments, env={**os.environ, "DJANGO_SETTINGS_MODULE": settings})


def command_run(arguments: list[str]) -> None:
    address = arguments[0] if arguments else "127.0.0.1:8000"
    ensure_environment()
    manage("migrate", "--no-input")
    say(f"loading the demo data (departments, catalogue, registries, logins, {DEMO_CASES} cases)")
    manage("load_demo", "--cases", str(DEMO_CASES))
    say("electronic seals: a demo root CA and one signing key per department (var/seals)")
    manage("init_seals")
    say(
        f"serving http://{address}/ — log in as clerk / onewindow-demo (all demo logins in README.md)"
    )
    manage("runserver", address)


def command_test(arguments: list[str]) -> None:
    """Every test: first on the embedded default (SQLite), then the same suite on a
    real PostgreSQL server started for the run. With arguments, only pytest on
    SQLite with those arguments (for a quick local loop)."""
    ensure_environment()
    embedded = {
        key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")
    }
    if arguments:
        run(PYTHON, "-m", "pytest", *arguments, env=embedded)
        return
    say("tests on the embedded default (SQLite, tasks in-process)")
    run(PYTHON, "-m", "pytest", "-n", "auto", env=embedded)
    sys.path.insert(0, str(ROOT))
    from tools.servers import postgres_server

    with postgres_server() as database_url:
        say(f"the same tests on PostgreSQL ({database_url})")
        run(
            PYTHON,
            "-m",
            "pytest",
            "-n",
            "auto",
            "-p",
            "no:cacheprovider",
            env={**embedded, "DATABASE_URL": database_url},
        )


COMMANDS = {"run": command_run, "test": command_test}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
