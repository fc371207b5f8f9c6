"""``tools/verify_draw.py``: the independent re-run of a draw (standard library only) gives
the project's winners, checks the published hashes, and refuses unusable input."""

from __future__ import annotations

import ast
import hashlib
import random
import subprocess
import sys
from pathlib import Path

import pytest

from lottery.draw import pool_lines, winners

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_draw.py"
SEED_HEX = "c0ffee" * 8


def generated_pool(lines: int, *, seed: int = 7) -> list[tuple[str, int]]:
    """``lines`` distinct 13-digit lottery codes, sorted, with weights 1 to 4."""
    rng = random.Random(seed)
    codes = sorted(rng.sample(range(10**13), lines))
    return [(f"{code:013d}", rng.choice((1, 1, 1, 2, 2, 3, 4))) for code in codes]


def pool_file(tmp_path: Path, entries: list[tuple[str, int]]) -> Path:
    path = tmp_path / "pool.csv"
    path.write_bytes(b"".join(pool_lines(entries)))
    return path


def run_tool(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_it_finds_the_projects_winners_for_thousands_of_weighted_lines(tmp_path):
    entries = generated_pool(5000)
    path = pool_file(tmp_path, entries)
    expected = winners(seed=bytes.fromhex(SEED_HEX), pool=entries, quota=300)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()

    done = run_tool(str(path), "--seed", SEED_HEX, "--quota", "300", "--pool-sha256", sha)

    assert done.returncode == 0, done.stderr
    first, *codes = done.stdout.splitlines()
    assert first == f"{sha}  {path}"
    assert codes == expected
    assert len(set(codes)) == 300
    assert "5000" in done.stderr


def test_a_quota_above_the_pool_ranks_everyone_in_draw_order(tmp_path):
    entries = generated_pool(50, seed=3)
    path = pool_file(tmp_path, entries)

    done = run_tool(str(path), "--seed", SEED_HEX, "--quota", "80")

    assert done.returncode == 0
    assert done.stdout.splitlines()[1:] == winners(
        seed=bytes.fromhex(SEED_HEX), pool=entries, quota=80
    )


def test_a_pool_sha256_that_differs_exits_1_with_no_winners(tmp_path):
    path = pool_file(tmp_path, generated_pool(100))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()

    done = run_tool(str(path), "--seed", SEED_HEX, "--quota", "5", "--pool-sha256", "0" * 64)

    assert done.returncode == 1
    assert done.stdout.splitlines() == [f"{sha}  {path}"]
    assert "SHA-256" in done.stderr and "0" * 64 in done.stderr


def test_a_seed_that_is_not_the_commitment_exits_1(tmp_path):
    path = pool_file(tmp_path, generated_pool(10))
    other = hashlib.sha256(b"another seed").hexdigest()

    done = run_tool(str(path), "--seed", SEED_HEX, "--quota", "2", "--seed-sha256", other)
    assert done.returncode == 1
    assert done.stdout == ""

    committed = hashlib.sha256(bytes.fromhex(SEED_HEX)).hexdigest()
    assert (
        run_tool(
            str(path), "--seed", SEED_HEX, "--quota", "2", "--seed-sha256", committed
        ).returncode
        == 0
    )


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (b"0000000000001,1\nnot a line\n", 2),
        (b"0000000000001,0\n", 1),
        (b"0000000000001,x\n", 1),
        (b"0000000000002,1\n0000000000001,1\n", 2),
        (b"0000000000001,1\n0000000000001,2\n", 2),
    ],
    ids=["no-comma", "zero-weight", "weight-not-a-number", "unsorted", "duplicate"],
)
def test_a_bad_line_exits_2_naming_its_number(tmp_path, content, line):
    path = tmp_path / "pool.csv"
    path.write_bytes(content)

    done = run_tool(str(path), "--seed", SEED_HEX, "--quota", "1")

    assert done.returncode == 2
    assert f"line {line}" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    "arguments",
    [
        ["--seed", "xyz", "--quota", "1"],
        ["--seed", "abc", "--quota", "1"],
        ["--seed", "ab", "--quota", "0"],
    ],
    ids=["seed-not-hex", "odd-hex", "zero-quota"],
)
def test_bad_arguments_exit_2(tmp_path, arguments):
    path = pool_file(tmp_path, generated_pool(3))
    assert run_tool(str(path), *arguments).returncode == 2


def test_a_missing_pool_file_exits_2(tmp_path):
    done = run_tool(str(tmp_path / "absent.csv"), "--seed", SEED_HEX, "--quota", "1")
    assert done.returncode == 2
    assert "absent.csv" in done.stderr


def test_the_tool_imports_the_standard_library_only():
    tree = ast.parse(TOOL.read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
