"""Units a person can hold in their head (issue 21): radon's measures over the project's code.

Every ``.py`` file outside ``tests/``, migrations, ``bench/``, ``tools/`` and hidden
directories (the venv among them) is measured with radon's own API, the same numbers
``radon cc`` and ``radon raw`` print:

- no function or method ranked D or worse (cyclomatic complexity above 20);
- no module over 400 lines, unless its module docstring has a line starting with
  ``Long because:`` that gives the reason (a data table, say).

What was over the line when the gate came was listed below, each one a piece of work to
schedule; every one has since been split, and the lists stay empty. Should one ever hold
an entry again, an entry that no longer offends fails the last test.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from radon.complexity import cc_rank, cc_visit
from radon.raw import analyze

ROOT = Path(__file__).resolve().parent.parent
EXCLUDED_TOP_LEVEL = frozenset({"tests", "bench", "tools"})
MAX_COMPLEXITY = 20  # radon ranks 21 and above D
MAX_LINES = 400
REASON_PREFIX = "Long because:"

# "path:qualified name" of functions ranked D or worse, to be broken up.
KNOWN_COMPLEX: frozenset[str] = frozenset()

# Modules over 400 lines without a written reason, to become packages.
KNOWN_OVERSIZED: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Module:
    name: str  # the path from the project root, with forward slashes
    source: str

    @property
    def line_count(self) -> int:
        return analyze(self.source).loc

    @property
    def has_written_reason(self) -> bool:
        """A docstring line ``Long because: <the reason>``, with a reason after the colon."""
        docstring = ast.get_docstring(ast.parse(self.source)) or ""
        return any(
            line.startswith(REASON_PREFIX) and line[len(REASON_PREFIX) :].strip()
            for line in docstring.splitlines()
        )

    def complex_functions(self) -> dict[str, int]:
        """``path:qualified name`` → complexity, for every block ranked D or worse."""
        return {
            f"{self.name}:{block.fullname}": block.complexity
            for block in cc_visit(self.source)
            if block.complexity > MAX_COMPLEXITY
        }


def _is_measured(relative: Path) -> bool:
    parts = relative.parts
    return not (
        parts[0] in EXCLUDED_TOP_LEVEL
        or "migrations" in parts[:-1]
        or any(part.startswith(".") or part == "node_modules" for part in parts[:-1])
    )


@cache
def project_modules() -> tuple[Module, ...]:
    """Read once per run: the walk and radon's parse are the slow part."""
    modules = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if _is_measured(relative):
            modules.append(Module(relative.as_posix(), path.read_text(encoding="utf-8")))
    return tuple(modules)


@cache
def complex_functions() -> dict[str, int]:
    found: dict[str, int] = {}
    for module in project_modules():
        found.update(module.complex_functions())
    return found


@cache
def oversized_modules() -> dict[str, int]:
    """Modules over the limit that do not say why they are long."""
    return {
        module.name: module.line_count
        for module in project_modules()
        if module.line_count > MAX_LINES and not module.has_written_reason
    }


def test_the_walk_measures_project_code_and_skips_the_rest() -> None:
    names = {module.name for module in project_modules()}
    assert "departments/services/catalogue/checking.py" in names
    assert "cases/admin/approvals.py" in names
    assert "manage.py" in names
    assert not any(name.startswith(("tests/", "bench/", "tools/", ".")) for name in names)
    assert not any("/migrations/" in name for name in names)


def test_the_measures_are_radons_ranks() -> None:
    assert cc_rank(MAX_COMPLEXITY) == "C"
    assert cc_rank(MAX_COMPLEXITY + 1) == "D"
    branches = "".join(f"    if x == {n}:\n        return {n}\n" for n in range(MAX_COMPLEXITY))
    module = Module("example.py", f"def choose(x):\n{branches}    return -1\n")
    assert module.complex_functions() == {"example.py:choose": MAX_COMPLEXITY + 1}


def test_a_long_module_needs_its_reason_at_the_top() -> None:
    body = "x = 1\n" * MAX_LINES
    assert not Module("long.py", '"""A table."""\n' + body).has_written_reason
    assert not Module("long.py", '"""A table.\n\nLong because:\n"""\n' + body).has_written_reason
    assert Module(
        "long.py", '"""A table.\n\nLong because: one row per county.\n"""\n' + body
    ).has_written_reason


def test_no_function_ranked_d_or_worse() -> None:
    new = {name: value for name, value in complex_functions().items() if name not in KNOWN_COMPLEX}
    assert not new, (
        f"functions above complexity {MAX_COMPLEXITY} (radon rank D or worse); "
        f"break them into smaller ones: {new}"
    )


def test_no_module_over_400_lines_without_a_reason() -> None:
    new = {
        name: lines for name, lines in oversized_modules().items() if name not in KNOWN_OVERSIZED
    }
    assert not new, (
        f"modules over {MAX_LINES} lines; make each a package, or give the reason in a "
        f'docstring line starting with "{REASON_PREFIX}": {new}'
    )


def test_the_known_lists_only_hold_current_offenders() -> None:
    """Once a unit is split, its entry goes: the lists must not hide a new offender later."""
    stale_complex = KNOWN_COMPLEX - complex_functions().keys()
    stale_oversized = KNOWN_OVERSIZED - oversized_modules().keys()
    assert not stale_complex, (
        f"no longer ranked D or worse, remove from KNOWN_COMPLEX: {stale_complex}"
    )
    assert not stale_oversized, (
        f"no longer over {MAX_LINES} lines (or now with a reason), "
        f"remove from KNOWN_OVERSIZED: {stale_oversized}"
    )
