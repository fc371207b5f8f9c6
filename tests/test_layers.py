"""Data flows one way (STYLE.md habit 15): the services never import the tasks, and the
outbox and the sharing gateway keep no state in threads and use no patched internals."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICE_PACKAGES = (
    "cases/services",
    "certificates/services",
    "citizens/services",
    "supervision/services",
)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, anywhere in it (inside functions too), as
    ``(line, name)``: ``from ..tasks import run_job`` gives ``..tasks`` and
    ``..tasks.run_job``, ``from . import tasks`` gives ``.tasks``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if node.module:
                found.append((node.lineno, module))
            separator = "." if node.module else ""
            found += [(node.lineno, f"{module}{separator}{alias.name}") for alias in node.names]
    return found


def _is_tasks(name: str) -> bool:
    return "tasks" in name.lstrip(".").split(".")


def _service_modules() -> list[Path]:
    return sorted(path for package in SERVICE_PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_every_service_package_is_read():
    assert {path.relative_to(ROOT).parts[0] for path in _service_modules()} == {
        "cases",
        "certificates",
        "citizens",
        "supervision",
    }


def test_services_never_import_tasks():
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _service_modules()
        for line, name in _imports(path)
        if _is_tasks(name)
    ]
    assert offending == []


def test_the_import_check_sees_imports_in_functions_and_relative_ones(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "import cases.tasks\n"
        "def send():\n"
        "    from ..tasks import run_job\n"
        "    from . import tasks\n"
        "    from ...tasks import book_delivery\n"
        "    from cases.taskset import x\n"
    )
    flagged = sorted({line for line, name in _imports(module) if _is_tasks(name)})
    assert flagged == [1, 3, 4, 5]


@pytest.mark.parametrize(
    "name",
    [
        "cases/services/sharing.py",
        *sorted(
            str(path.relative_to(ROOT)) for path in (ROOT / "cases/services/jobs").glob("*.py")
        ),
    ],
)
def test_no_threads_and_no_imports_by_name(name):
    imported = {module for _line, module in _imports(ROOT / name)}
    assert not [module for module in imported if module.split(".")[0] == "threading"]
    assert "import_string" not in (ROOT / name).read_text()


def test_the_apps_import_downwards_only():
    """import-linter's layers contract in pyproject.toml: an app imports only the apps
    below it (its three known debts are listed there, to be removed)."""
    import subprocess
    import sys

    command = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(command), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_every_app_is_in_the_layers():
    """A new app must take its place in the contract, or nothing checks it."""
    import tomllib

    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert apps <= set(settings["root_packages"])
    layered = {
        name.strip() for layer in settings["contracts"][0]["layers"] for name in layer.split("|")
    }
    assert apps == layered
