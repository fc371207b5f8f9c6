"""No private name of the libraries we build on is used in our code (issue 21).

A private name (one leading underscore) of Django, psycopg, kombu, redis-py, granian,
Celery or Django REST framework may change or vanish in any release without notice, so
code that reads or writes one breaks on an upgrade nobody thought risky. Every project
``.py`` file (the apps named in ``[tool.importlinter] root_packages``, ``tools/``,
``bench/``, ``tests/``, ``dev.py`` and ``manage.py``; no migrations, no venv) is parsed
with ``ast`` and these are reported:

- an import of a private name or module of one of those libraries
  (``from django.db.models.query import _Thing``, ``import psycopg._module``), or a
  private step in an attribute chain that starts at a name imported from one of them
  (``models.query._helper``);
- an attribute ``obj._name`` (read, written, or named as a string to ``getattr`` and
  friends) whose name our own code never defines and that is not on the short list of
  underscore names the libraries document as public;
- a ``_onewindow...`` attribute stored with ``setattr`` or through ``__dict__`` on any
  object: a mark of ours hidden on someone else's object.

From the syntax alone the type of ``obj`` is unknown, hence the second rule works by
names: a name our code defines (a function, a class, an attribute set on ``self`` or
``cls``, a class-body or module-level name, a parameter, a ``__slots__`` entry) is ours.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTRA_DIRECTORIES = ("tools", "bench", "tests")
EXTRA_FILES = ("dev.py", "manage.py")

# The libraries whose private names we keep out, by top-level module.
LIBRARIES = frozenset(
    {"django", "psycopg", "psycopg_pool", "kombu", "redis", "granian", "celery", "rest_framework"}
)

# Underscore names that are documented public API.
DOCUMENTED_NAMES = frozenset(
    {
        "_meta",  # Django: "Model _meta API"
        "_default_manager",  # Django: "Managers", Default managers (Model._default_manager)
        "_base_manager",  # Django: "Managers", Base managers (Model._base_manager)
        # Python stdlib (outside the libraries above; allowed by name since the type of
        # the object is unknown from the syntax):
        "_getframe",  # sys._getframe
        "_exit",  # os._exit
        "_replace",  # collections.namedtuple: "_replace"
        "_asdict",  # collections.namedtuple: "_asdict"
        "_fields",  # collections.namedtuple: "_fields"
        "_make",  # collections.namedtuple: "_make"
        "_field_defaults",  # collections.namedtuple: "_field_defaults"
        # drf-spectacular, API reference, OpenApiSerializerFieldExtension: "you can get what
        # drf-spectacular would generate with auto_schema._map_serializer_field(...)".
        "_map_serializer_field",
    }
)
# Django, "Model instance reference", Model._state: only its ``adding`` and ``db``.
STATE_NAME = "_state"
STATE_DOCUMENTED_ATTRIBUTES = frozenset({"adding", "db"})

OWN_MARK_PREFIX = "_onewindow"
ATTRIBUTE_FUNCTIONS = frozenset({"getattr", "setattr", "hasattr", "delattr"})
SELF_NAMES = frozenset({"self", "cls"})


def is_private(name: str) -> bool:
    """One leading underscore and more after it: ``_x``, not ``_``, ``__x`` or ``__x__``."""
    return len(name) > 1 and name[0] == "_" and name[1] != "_"


def is_library(dotted: str | None) -> bool:
    return bool(dotted) and dotted.split(".")[0] in LIBRARIES


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    name: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.name}"


# --- which files ---------------------------------------------------------------------


def _is_skipped(relative: Path) -> bool:
    return any(
        part.startswith(".") or part in {"migrations", "node_modules", "__pycache__"}
        for part in relative.parts[:-1]
    )


def project_files(root: Path) -> list[Path]:
    """The project's own ``.py`` files, relative to ``root``."""
    with (root / "pyproject.toml").open("rb") as pyproject:
        packages = tomllib.load(pyproject)["tool"]["importlinter"]["root_packages"]
    found: set[Path] = set()
    for directory in (*packages, *EXTRA_DIRECTORIES):
        for path in (root / directory).rglob("*.py"):
            relative = path.relative_to(root)
            if not _is_skipped(relative):
                found.add(relative)
    found.update(Path(name) for name in EXTRA_FILES if (root / name).is_file())
    return sorted(found)


# --- what our code defines -----------------------------------------------------------


def _string_constants(node: ast.expr) -> Iterator[str]:
    elements = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    for element in elements:
        if isinstance(element, ast.Constant) and isinstance(element.value, str):
            yield element.value


def _target_names(target: ast.expr) -> Iterator[str]:
    """Names bound by an assignment target at module or class level."""
    for node in ast.walk(target):
        if isinstance(node, ast.Name):
            yield node.id


def _self_attribute_names(target: ast.expr) -> Iterator[str]:
    for node in ast.walk(target):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in SELF_NAMES
        ):
            yield node.attr


def _assignment_targets(statement: ast.stmt) -> list[ast.expr]:
    if isinstance(statement, ast.Assign):
        return statement.targets
    if isinstance(statement, ast.AnnAssign | ast.AugAssign):
        return [statement.target]
    if isinstance(statement, ast.For | ast.AsyncFor):
        return [statement.target]
    if isinstance(statement, ast.With | ast.AsyncWith):
        return [item.optional_vars for item in statement.items if item.optional_vars]
    return []


def _scope_level_names(body: Iterable[ast.stmt]) -> Iterator[str]:
    """Names bound directly in a module or class body (not inside its functions)."""
    for statement in body:
        for target in _assignment_targets(statement):
            yield from _target_names(target)
        if (
            isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__slots__" for t in statement.targets)
        ) or (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.target.id == "__slots__"
            and statement.value is not None
        ):
            yield from _string_constants(statement.value)
        # Bodies of if/try/with/for at this level still bind at this level.
        if isinstance(statement, ast.If | ast.For | ast.AsyncFor | ast.While):
            yield from _scope_level_names([*statement.body, *statement.orelse])
        elif isinstance(statement, ast.With | ast.AsyncWith):
            yield from _scope_level_names(statement.body)
        elif isinstance(statement, ast.Try | ast.TryStar):
            handlers = [s for handler in statement.handlers for s in handler.body]
            yield from _scope_level_names(
                [*statement.body, *handlers, *statement.orelse, *statement.finalbody]
            )


def defined_names(tree: ast.Module) -> set[str]:
    """Every name the module defines, by the rules in the module docstring."""
    names = set(_scope_level_names(tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names.update(_scope_level_names(node.body))
        if isinstance(node, ast.arguments):
            every = [*node.posonlyargs, *node.args, *node.kwonlyargs, node.vararg, node.kwarg]
            names.update(argument.arg for argument in every if argument is not None)
        if isinstance(node, ast.stmt):
            for target in _assignment_targets(node):
                names.update(_self_attribute_names(target))
    return names


# --- the checks ----------------------------------------------------------------------


def _library_bindings(tree: ast.Module) -> set[str]:
    """Local names that hold a module or object imported from one of the libraries."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if is_library(alias.name):
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and is_library(node.module):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _import_findings(node: ast.stmt) -> Iterator[tuple[int, str]]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if is_library(alias.name) and any(map(is_private, alias.name.split("."))):
                yield node.lineno, alias.name
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and is_library(node.module):
        if any(map(is_private, node.module.split("."))):
            yield node.lineno, node.module
        for alias in node.names:
            if is_private(alias.name):
                yield node.lineno, f"{node.module}.{alias.name}"


def _chain_root(node: ast.Attribute) -> str | None:
    value = node.value
    while isinstance(value, ast.Attribute):
        value = value.value
    return value.id if isinstance(value, ast.Name) else None


def _is_documented(name: str, parent: ast.AST | None) -> bool:
    if name in DOCUMENTED_NAMES:
        return True
    return (
        name == STATE_NAME
        and isinstance(parent, ast.Attribute)
        and parent.attr in STATE_DOCUMENTED_ATTRIBUTES
    )


def _is_own_store(node: ast.Attribute) -> bool:
    """``self._x = ...``: a definition, not a use."""
    return (
        isinstance(node.ctx, ast.Store)
        and isinstance(node.value, ast.Name)
        and node.value.id in SELF_NAMES
    )


def _named_attribute(node: ast.Call) -> tuple[ast.expr, str] | None:
    """``getattr(obj, "_x")`` and friends: the object and the attribute named."""
    if (
        isinstance(node.func, ast.Name)
        and node.func.id in ATTRIBUTE_FUNCTIONS
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    ):
        return node.args[0], node.args[1].value
    return None


def _dict_store_key(node: ast.AST) -> str | None:
    """The key of ``obj.__dict__["key"] = ...`` or ``vars(obj)["key"] = ...``."""
    if not (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)):
        return None
    holder = node.value
    is_dict = (isinstance(holder, ast.Attribute) and holder.attr == "__dict__") or (
        isinstance(holder, ast.Call)
        and isinstance(holder.func, ast.Name)
        and holder.func.id == "vars"
    )
    key = node.slice
    if is_dict and isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value
    return None


def _dict_method_keys(node: ast.Call) -> Iterator[str]:
    """Keys stored by ``obj.__dict__.setdefault("key", ...)`` / ``.update(key=...)``."""
    method = node.func
    if not (
        isinstance(method, ast.Attribute)
        and isinstance(method.value, ast.Attribute)
        and method.value.attr == "__dict__"
    ):
        return
    if method.attr == "setdefault" and node.args:
        yield from _string_constants(node.args[0])
    elif method.attr == "update":
        yield from (keyword.arg for keyword in node.keywords if keyword.arg)
        for argument in node.args:
            if isinstance(argument, ast.Dict):
                for key in argument.keys:
                    if key is not None:
                        yield from _string_constants(key)


def _own_mark_findings(node: ast.AST) -> Iterator[tuple[int, str]]:
    keys: list[str] = []
    if isinstance(node, ast.Call):
        named = _named_attribute(node)
        if named is not None and isinstance(node.func, ast.Name) and node.func.id == "setattr":
            keys.append(named[1])
        keys.extend(_dict_method_keys(node))
    key = _dict_store_key(node)
    if key is not None:
        keys.append(key)
    for name in keys:
        if name.startswith(OWN_MARK_PREFIX):
            yield node.lineno, name


def _is_library_name(node: ast.expr, libraries: set[str]) -> bool:
    if isinstance(node, ast.Attribute):
        return _chain_root(node) in libraries
    return isinstance(node, ast.Name) and node.id in libraries


def _reaches_a_library_base(node: ast.Attribute, parents: dict, libraries: set[str]) -> bool:
    """``super()._x`` in a class built on a library class: the library's own ``_x``, even
    when our subclass overrides it."""
    value = node.value
    if not (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "super"
    ):
        return False
    scope = parents.get(node)
    while scope is not None and not isinstance(scope, ast.ClassDef):
        scope = parents.get(scope)
    return scope is not None and any(_is_library_name(base, libraries) for base in scope.bases)


def _attribute_is_foreign(
    node: ast.Attribute, ours: set[str], parents: dict, libraries: set[str]
) -> bool:
    if _is_own_store(node) or _is_documented(node.attr, parents.get(node)):
        return False
    return (
        node.attr not in ours
        or _chain_root(node) in libraries
        or _reaches_a_library_base(node, parents, libraries)
    )


def module_findings(tree: ast.Module, ours: set[str]) -> Iterator[tuple[int, str]]:
    """``(line, name)`` of every use of another project's private name in ``tree``."""
    libraries = _library_bindings(tree)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    for node in ast.walk(tree):
        yield from _import_findings(node)
        yield from _own_mark_findings(node)
        if (
            isinstance(node, ast.Attribute)
            and is_private(node.attr)
            and _attribute_is_foreign(node, ours, parents, libraries)
        ):
            yield node.lineno, node.attr
        if isinstance(node, ast.Call):
            named = _named_attribute(node)
            if named is None or not is_private(named[1]):
                continue
            holder, name = named
            if isinstance(holder, ast.Name) and holder.id in SELF_NAMES:
                continue
            if name not in ours and name not in DOCUMENTED_NAMES:
                yield node.lineno, name


def findings(root: Path, files: Iterable[Path]) -> list[Finding]:
    """Every finding in ``files`` (relative to ``root``), names ours defined over all of them."""
    trees = {
        path.as_posix(): ast.parse((root / path).read_text(encoding="utf-8"), filename=str(path))
        for path in files
    }
    ours: set[str] = set()
    for tree in trees.values():
        ours |= defined_names(tree)
    return sorted(
        {
            Finding(path, line, name)
            for path, tree in trees.items()
            for line, name in module_findings(tree, ours)
        }
    )


# --- the gate ------------------------------------------------------------------------


def test_no_private_name_of_another_project_is_used() -> None:
    found = findings(ROOT, project_files(ROOT))
    assert not found, (
        "private names of other projects (use their public API, or keep our own state on our "
        "own objects):\n" + "\n".join(map(str, found))
    )


# --- the checker itself, on synthetic projects ----------------------------------------


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.importlinter]\nroot_packages = ["app"]\n', encoding="utf-8"
    )
    for name, source in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return tmp_path


def _check(tmp_path: Path, source: str, **others: str) -> list[str]:
    root = _project(tmp_path, {"app/code.py": source, **others})
    return [str(finding) for finding in findings(root, project_files(root))]


def test_the_walk_covers_the_apps_tools_and_tests_and_skips_migrations_and_the_venv(
    tmp_path: Path,
) -> None:
    root = _project(
        tmp_path,
        {
            name: ""
            for name in (
                "app/models.py",
                "app/migrations/0001_initial.py",
                "tools/tool.py",
                "bench/run.py",
                "tests/test_app.py",
                "dev.py",
                "manage.py",
                ".venv/lib/django/db.py",
                "app/.cache/stale.py",
                "elsewhere/other.py",
            )
        },
    )
    assert [path.as_posix() for path in project_files(root)] == [
        "app/models.py",
        "bench/run.py",
        "dev.py",
        "manage.py",
        "tests/test_app.py",
        "tools/tool.py",
    ]


def test_the_walk_finds_the_project_files() -> None:
    names = {path.as_posix() for path in project_files(ROOT)}
    assert {"manage.py", "tests/test_private_names.py", "supervision/models.py"} <= names
    assert not any("/migrations/" in name or name.startswith(".") for name in names)


def test_a_private_import_from_a_library_is_found(tmp_path: Path) -> None:
    source = (
        "from django.db.models.query import _Thing\n"
        "from psycopg._module import public\n"
        "import kombu._transport\n"
        "import redis._parsers as parsers\n"
        "from rest_framework import _helper as helper\n"
    )
    assert _check(tmp_path, source) == [
        "app/code.py:1 django.db.models.query._Thing",
        "app/code.py:2 psycopg._module",
        "app/code.py:3 kombu._transport",
        "app/code.py:4 redis._parsers",
        "app/code.py:5 rest_framework._helper",
    ]


def test_public_imports_and_our_own_private_modules_pass(tmp_path: Path) -> None:
    source = (
        "from django.utils.translation import gettext as _\n"
        "from django.db import models\n"
        "import celery.__main__\n"
        "from app._internal import _helper\n"
        "from ._internal import _other\n"
        "import _thread\n"
    )
    assert _check(tmp_path, source, **{"app/_internal.py": "_helper = _other = 1\n"}) == []


def test_a_private_step_after_a_library_name_is_found_even_if_we_define_it(
    tmp_path: Path,
) -> None:
    source = (
        "import django.db\n"
        "from granian import server\n"
        "_cache = {}\n"
        "django.db._cache\n"
        "server.workers._cache.clear()\n"
        "server.Model._meta\n"
    )
    assert _check(tmp_path, source) == ["app/code.py:4 _cache", "app/code.py:5 _cache"]


def test_calling_a_library_base_class_private_method_is_found_even_if_we_override_it(
    tmp_path: Path,
) -> None:
    source = (
        "from kombu.transport import redis\n"
        "class Base:\n"
        "    def _build(self): ...\n"
        "class Channel(redis.Channel):\n"
        "    def _create_client(self):\n"
        "        return super()._create_client()\n"
        "class Ours(Base):\n"
        "    def _build(self):\n"
        "        return super()._build()\n"
    )
    assert _check(tmp_path, source) == ["app/code.py:6 _create_client"]


def test_an_attribute_our_code_does_not_define_is_found(tmp_path: Path) -> None:
    source = (
        "def rows(queryset, form):\n"
        "    queryset._result_cache = None\n"
        "    form._errors\n"
        "    getattr(queryset, '_prefetch_done', False)\n"
        "    return queryset._iterable_class\n"
    )
    assert _check(tmp_path, source) == [
        "app/code.py:2 _result_cache",
        "app/code.py:3 _errors",
        "app/code.py:4 _prefetch_done",
        "app/code.py:5 _iterable_class",
    ]


def test_names_our_code_defines_pass(tmp_path: Path) -> None:
    definitions = (
        "import dataclasses\n"
        "_registry = {}\n"
        "def _helper(_argument, *, _keyword=None): ...\n"
        "class _Cache:\n"
        "    __slots__ = ('_slot',)\n"
        "    _class_level = 1\n"
        "    def __init__(self):\n"
        "        self._from_self = 1\n"
        "    @classmethod\n"
        "    def build(cls):\n"
        "        cls._from_cls = 2\n"
        "@dataclasses.dataclass\n"
        "class Point:\n"
        "    _field: int = 0\n"
        "if True:\n"
        "    _conditional = 3\n"
    )
    uses = (
        "from app import definitions\n"
        "def use(thing):\n"
        "    definitions._registry, definitions._helper, definitions._Cache\n"
        "    thing._argument, thing._keyword, thing._slot, thing._class_level\n"
        "    thing._from_self, thing._from_cls, thing._field, thing._conditional\n"
        "    getattr(thing, '_from_self')\n"
        "    thing._from_self = 4\n"
    )
    assert _check(tmp_path, uses, **{"app/definitions.py": definitions}) == []


def test_a_keyword_argument_or_a_foreign_store_is_not_a_definition(tmp_path: Path) -> None:
    source = (
        "def build(make, other):\n"
        "    make(_hidden=1)\n"
        "    other._stored = 2\n"
        "    return other._hidden, other._stored\n"
    )
    assert _check(tmp_path, source) == [
        "app/code.py:3 _stored",
        "app/code.py:4 _hidden",
        "app/code.py:4 _stored",
    ]


def test_the_documented_underscore_names_pass(tmp_path: Path) -> None:
    source = (
        "import os, sys\n"
        "def read(instance, point):\n"
        "    instance._meta.get_field('name')\n"
        "    instance._state.adding, instance._state.db\n"
        "    type(instance)._default_manager, type(instance)._base_manager\n"
        "    point._replace(x=1), point._asdict(), point._fields, point._make([1])\n"
        "    sys._getframe(1)\n"
        "    os._exit(0)\n"
        "    _, __, instance.__dict__, instance.__class__\n"
    )
    assert _check(tmp_path, source) == []


def test_only_the_documented_parts_of_state_pass(tmp_path: Path) -> None:
    source = "def read(instance):\n    instance._state.fields_cache\n    return instance._state\n"
    assert _check(tmp_path, source) == ["app/code.py:2 _state", "app/code.py:3 _state"]


def test_our_mark_stored_on_another_object_is_found(tmp_path: Path) -> None:
    source = (
        "def mark(queryset, key):\n"
        "    setattr(queryset, '_onewindow_prepared', True)\n"
        "    queryset.__dict__['_onewindow_rows'] = []\n"
        "    vars(queryset)['_onewindow_seen'] = 1\n"
        "    queryset.__dict__.setdefault('_onewindow_cache', {})\n"
        "    queryset.__dict__.update(_onewindow_more=1)\n"
        "    setattr(queryset, 'public_name', True)\n"
        "    queryset.__dict__[key] = 1\n"
    )
    assert _check(tmp_path, source) == [
        "app/code.py:2 _onewindow_prepared",
        "app/code.py:3 _onewindow_rows",
        "app/code.py:4 _onewindow_seen",
        "app/code.py:5 _onewindow_cache",
        "app/code.py:6 _onewindow_more",
    ]


def test_a_finding_prints_as_path_line_and_name() -> None:
    assert str(Finding("cases/views.py", 12, "_result_cache")) == "cases/views.py:12 _result_cache"
