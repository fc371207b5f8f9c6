"""Cleaning one scalar value of a catalogue file: a string, a choice, a number, a date.

Pure functions, one per kind of column: each returns the cleaned value or raises
:class:`InvalidValue` with the problem in the operator's words. The checker adds
the file, entry, field and line around that message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models

from .parsing import did_you_mean, type_name

Choices = type[models.TextChoices] | None


class InvalidValue(Exception):
    """The value cannot be used; the message says what was expected and what was found."""


def _text(value: Any, choices: Choices) -> str:
    if not isinstance(value, str):
        # The commonest slip in hand-written YAML: ``level: on`` is a boolean.
        hint = (
            "; YAML reads unquoted yes/no/on/off/true/false as booleans, so quote it"
            if isinstance(value, bool)
            else ""
        )
        raise InvalidValue(f"expected a string, got {type_name(value)}{hint}")
    return value


def _choice(value: Any, choices: Choices) -> str:
    text = _text(value, choices)
    if choices is not None and text not in choices.values:
        raise InvalidValue(
            f'invalid value "{text}"{did_you_mean(text, tuple(choices.values))}; '
            f"expected one of: {', '.join(choices.values)}"
        )
    return text


def _integer(value: Any, choices: Choices) -> int:
    if isinstance(value, bool) or not isinstance(value, int):  # bool is an int in Python
        raise InvalidValue(f"expected an integer, got {type_name(value)}")
    return value


def _boolean(value: Any, choices: Choices) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(f"expected true or false, got {type_name(value)}")
    return value


def _decimal(value: Any, choices: Choices) -> Decimal:
    amount = None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            amount = None
    if amount is None or not amount.is_finite():
        raise InvalidValue(f'expected an amount such as "12.50", got {type_name(value)}')
    return amount


def _date(value: Any, choices: Choices) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidValue(f"expected a date (YYYY-MM-DD), got {type_name(value)}")


_CLEANERS: dict[str, Callable[[Any, Choices], Any]] = {
    "str": _text,
    "ref": _text,  # a code; whether it names a row is checked once the whole file is read
    "choice": _choice,
    "int": _integer,
    "bool": _boolean,
    "decimal": _decimal,
    "date": _date,
}


def clean_scalar(kind: str, value: Any, *, choices: Choices = None) -> Any:
    """The value of a ``kind`` column, cleaned; raises :class:`InvalidValue` if it is unusable."""
    try:
        cleaner = _CLEANERS[kind]
    except KeyError:
        raise AssertionError(f"unknown column kind {kind}") from None
    return cleaner(value, choices)
