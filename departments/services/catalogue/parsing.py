"""Parsing a catalogue file: YAML text into Python values, with a line number for every node.

``yaml.safe_load`` gives the values but forgets where they were and silently keeps
the last of two equal keys; the composed node tree keeps both, so messages can say
``(line 57)`` and duplicates can be reported. Also the small records the checks
fill in (:class:`Entry`, :class:`Reference`) and the wording of values in messages.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .schema import CatalogueError, Section

NodePath = tuple[str | int, ...]


class Locator:
    """Line numbers and duplicate keys, from the YAML node tree (``safe_load`` forgets both)."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root

    def node(self, path: NodePath) -> yaml.Node | None:
        node = self.root
        for step in path:
            child = None
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:  # the last one wins, as in safe_load
                    if isinstance(key_node, yaml.ScalarNode) and key_node.value == step:
                        child = value_node
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(step, int)
                and 0 <= step < len(node.value)
            ):
                child = node.value[step]
            if child is None:
                break
            node = child
        return node

    def line(self, path: NodePath) -> int | None:
        node = self.node(path)
        return node.start_mark.line + 1 if node is not None else None

    def duplicate_keys(self, path: NodePath) -> list[str]:
        node = self.node(path)
        if not isinstance(node, yaml.MappingNode):
            return []
        seen: set[str] = set()
        duplicates: list[str] = []
        for key_node, _value in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen and key_node.value not in duplicates:
                    duplicates.append(key_node.value)
                seen.add(key_node.value)
        return duplicates


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f'a string ("{value}")'
    if isinstance(value, dt.datetime):
        return f"a date and time ({value.isoformat()})"
    if isinstance(value, dt.date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def did_you_mean(word: Any, candidates: tuple[str, ...]) -> str:
    matches = difflib.get_close_matches(str(word), candidates, n=1)
    return f' (did you mean "{matches[0]}"?)' if matches else ""


@dataclass
class Entry:
    section: Section
    index: int
    where: str  # items[3] (code "A003")
    values: dict[str, Any] = field(default_factory=dict)  # cleaned, only the keys the file has
    is_valid: bool = True
    instance: Any = None
    is_new: bool = False
    changed_keys: set[str] = field(default_factory=set)  # of an existing row
    are_children_changed: bool = False  # an item's requirements, a bundle's items

    @property
    def is_changed(self) -> bool:
        return not self.is_new and bool(self.changed_keys or self.are_children_changed)

    @property
    def key(self) -> Any:
        """The natural key: the code, or (consumer, registry) for a sharing agreement."""
        values = tuple(self.values.get(name) for name in self.section.natural_key)
        return values[0] if len(values) == 1 else values

    @property
    def has_key(self) -> bool:
        return all(self.values.get(name) is not None for name in self.section.natural_key)


@dataclass
class Reference:
    entry: Entry
    field: str
    path: NodePath
    target: str
    code: str


def syntax_error(error: yaml.MarkedYAMLError) -> str:
    """``line 6, column 1: YAML syntax error: expected ',' or '}'... (while parsing a flow
    mapping that starts at line 5, column 5)``: where the parser gave up, and what it was in."""
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    message = f"{where}YAML syntax error: {error.problem or error.context}"
    if error.problem and error.context:
        message += f" ({error.context}"
        if error.context_mark is not None and error.context_mark is not mark:
            message += (
                f" that starts at line {error.context_mark.line + 1}, "
                f"column {error.context_mark.column + 1}"
            )
        message += ")"
    return message


def read_document(path: Path) -> tuple[Any, Locator]:
    """The file's values and their locator; a file that cannot be read or parsed raises
    :class:`CatalogueError` with the one message that says why."""
    filename = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CatalogueError([f"{filename}: file not found: {path}"]) from None
    except UnicodeDecodeError as error:
        raise CatalogueError([f"{filename}: not UTF-8 text (byte {error.start})"]) from None
    except OSError as error:
        raise CatalogueError([f"{filename}: cannot read the file: {error.strerror}"]) from None
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        raise CatalogueError([f"{filename}: {syntax_error(error)}"]) from None
    except yaml.YAMLError as error:
        raise CatalogueError([f"{filename}: YAML syntax error: {error}"]) from None
    return data, Locator(root)
