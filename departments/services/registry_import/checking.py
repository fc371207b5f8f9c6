"""Checking a snapshot line by line: JSON, an object, a valid resident ID or credit code
by its check character, ``data`` an object the database can hold. Each line becomes a
``Row`` to write or a ``LineProblem`` to show."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext

from departments.identifiers import (
    mask_id_number,
    normalise_identifier,
    validate_resident_id,
    validate_uscc,
)

# ``\u0000`` preceded by an even number of backslashes is a NUL character (an odd
# number makes it the text "\u0000"): PostgreSQL's jsonb cannot hold one.
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
_MISSING = object()


@dataclass(frozen=True)
class LineProblem:
    """Why one line of the input cannot be imported (lines count from 1, empty ones too)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return gettext("第%(line)d行：%(reason)s") % {"line": self.line, "reason": self.reason}


class RegistrySnapshotError(Exception):
    """Nothing was imported: ``problems`` are the first bad lines, ``count`` all of them."""

    def __init__(self, problems: list[LineProblem], count: int, message: str = "") -> None:
        self.problems = list(problems)
        self.count = count
        super().__init__(message or self._message())

    def _message(self) -> str:
        lines = [
            ngettext(
                "快照未导入，没有写入任何数据：%(count)d 行有误。",
                "快照未导入，没有写入任何数据：%(count)d 行有误。",
                self.count,
            )
            % {"count": self.count}
        ]
        lines += [str(problem) for problem in self.problems]
        more = self.count - len(self.problems)
        if more > 0:
            lines.append(
                ngettext("……另有 %(more)d 行有误。", "……另有 %(more)d 行有误。", more)
                % {"more": more}
            )
        return "\n".join(lines)


# One valid record: line number, normalised subject ID, data and its JSON text.
Row = tuple[int, str, dict[str, Any], str]


def parsed_lines(lines: Iterable[str | bytes]) -> Iterator[Row | LineProblem | None]:
    """Each line as a row or a problem; ``None`` for an empty line (skipped)."""
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                yield LineProblem(number, gettext("不是UTF-8编码的文本。"))
                continue
        else:
            text = line
        if number == 1:
            text = text.removeprefix("\ufeff")
        if not text.strip():
            yield None
            continue
        try:
            value = json.loads(text)
        except ValueError as error:
            column = getattr(error, "colno", 0)
            yield LineProblem(
                number, gettext("不是有效的JSON（第%(column)d列出错）。") % {"column": column}
            )
            continue
        if not isinstance(value, dict):
            yield LineProblem(
                number, gettext('不是JSON对象；每行应为 {"subject_id": "...", "data": {...}}。')
            )
            continue
        yield checked_record(number, value.get("subject_id", _MISSING), value.get("data", _MISSING))


def checked_record(number: int, subject_id: Any, data: Any) -> Row | LineProblem:
    if subject_id is _MISSING or subject_id is None or subject_id == "":
        return LineProblem(number, gettext("缺少 subject_id，或它是空的。"))
    if not isinstance(subject_id, str):
        return LineProblem(number, gettext("subject_id 必须是字符串。"))
    normalised = normalise_identifier(subject_id)
    if not normalised:
        return LineProblem(number, gettext("缺少 subject_id，或它是空的。"))
    problem = _identifier_problem(normalised)
    if problem:
        return LineProblem(number, problem)
    if data is _MISSING:
        return LineProblem(number, gettext("缺少 data。"))
    if not isinstance(data, Mapping):
        return LineProblem(number, gettext("data 必须是JSON对象。"))
    data = dict(data)
    text = json.dumps(data, ensure_ascii=False)
    if "\\u0000" in text and _NUL_ESCAPE.search(text):
        return LineProblem(number, gettext("data 含有空字符（\\u0000），数据库不能保存。"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return LineProblem(number, gettext("data 含有无效的Unicode字符（单独的代理码点）。"))
    return number, normalised, data, text


# How far a number got through each validator: the kind it failed latest is the one
# it was meant to be (a resident ID with a wrong check digit fails the credit code's
# region already), so its message is the one shown.
_RESIDENT_ID_STEPS = ["resident_id_length", "resident_id_characters", "resident_id_region",
                      "resident_id_birth_date", "resident_id_check"]  # fmt: skip
_USCC_STEPS = ["uscc_length", "uscc_characters", "uscc_authority", "uscc_region", "uscc_check"]


def _identifier_problem(number: str) -> str:
    """ "" for a valid resident ID or credit code; otherwise what is wrong with it, as the
    kind of number it came closer to being."""
    try:
        validate_resident_id(number)
        return ""
    except ValidationError as error:
        resident_error = error
    try:
        validate_uscc(number)
        return ""
    except ValidationError as error:
        uscc_error = error
    resident_step = _step(resident_error, _RESIDENT_ID_STEPS)
    closer = uscc_error if _step(uscc_error, _USCC_STEPS) > resident_step else resident_error
    return gettext(
        "subject_id %(subject)s 既不是有效的居民身份证号码，也不是有效的统一社会信用代码：%(reason)s"
    ) % {"subject": mask_id_number(number), "reason": closer.messages[0]}


def _step(error: ValidationError, steps: list[str]) -> int:
    return steps.index(error.code) if error.code in steps else -1
