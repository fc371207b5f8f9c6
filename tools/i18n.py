"""English for OneWindow without GNU gettext: find the strings, check them, compile them.

    python tools/i18n.py check     # exit 1 listing what has no English or a stale .mo
    python tools/i18n.py compile   # write locale/en/LC_MESSAGES/django.mo from the .po
    python tools/i18n.py update    # add new source strings to the .po (empty English)

Source strings are Simplified Chinese and are found the way ``makemessages``
finds them, but with ``ast`` for Python files (every app of the project and ``onewindow/``,
migrations skipped) and Django's own ``templatize`` for templates
(``templates/`` and ``*/templates/``), so a fresh machine needs no gettext binary.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import sys
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO_PATH = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
# The project's apps (every top-level package with an ``apps.py``) and the wiring.
PYTHON_DIRECTORIES = tuple(
    sorted({path.parent.name for path in ROOT.glob("*/apps.py")} | {"onewindow"})
)
TEMPLATE_SUFFIXES = (".html", ".txt")
RUNTIME_HEADER_FIELDS = ("Content-Type", "Plural-Forms")

# Function name -> the roles of its leading string arguments, as xgettext's keywords
# for Django: "c" context, "s" singular, "p" plural.
TRANSLATION_FUNCTIONS = {
    "_": "s",
    "gettext": "s",
    "gettext_lazy": "s",
    "gettext_noop": "s",
    "pgettext": "cs",
    "pgettext_lazy": "cs",
    "ngettext": "sp",
    "ngettext_lazy": "sp",
    "npgettext": "csp",
    "npgettext_lazy": "csp",
}


@dataclass(frozen=True, order=True)
class Message:
    """One translatable string as gettext keys it: context and msgid (plus a plural form)."""

    msgid: str
    context: str | None = None
    plural: str | None = None

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.msgid)


@dataclass(frozen=True)
class Found:
    message: Message
    location: str  # "path:line", relative to the project root


# --- extraction ---------------------------------------------------------------


def python_files(root: Path = ROOT) -> list[Path]:
    return sorted(
        path
        for directory in PYTHON_DIRECTORIES
        for path in (root / directory).rglob("*.py")
        if "migrations" not in path.relative_to(root).parts
    )


def template_files(root: Path = ROOT) -> list[Path]:
    directories = [root / "templates", *sorted(root.glob("*/templates"))]
    return sorted(
        path
        for directory in directories
        if directory.is_dir() and not directory.relative_to(root).parts[0].startswith(".")
        for path in directory.rglob("*")
        if path.suffix in TEMPLATE_SUFFIXES and path.is_file()
    )


def _message_from_strings(roles: str, strings: list[str]) -> Message | None:
    if len(strings) < len(roles):
        return None
    values = dict(zip(roles, strings, strict=False))
    if not values["s"]:
        return None  # gettext("") is the catalogue header, never a message
    return Message(msgid=values["s"], context=values.get("c"), plural=values.get("p"))


def _literal_string(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def extract_python_source(source: str, filename: str = "<string>") -> list[tuple[Message, int]]:
    """Every literal message of a Python module with its line number, in line order."""
    return sorted(_python_messages(source, filename), key=lambda pair: pair[1])


def _python_messages(source: str, filename: str) -> Iterator[tuple[Message, int]]:
    for node in ast.walk(ast.parse(source, filename=filename)):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        name = (
            function.id
            if isinstance(function, ast.Name)
            else function.attr
            if isinstance(function, ast.Attribute)
            else None
        )
        roles = TRANSLATION_FUNCTIONS.get(name or "")
        if roles is None:
            continue
        strings = []
        for argument in node.args[: len(roles)]:
            value = _literal_string(argument)
            if value is None:
                break  # _(variable): nothing to extract, as with xgettext
            strings.append(value)
        message = _message_from_strings(roles, strings)
        if message is not None:
            # The line of the string itself, as xgettext reports it.
            yield message, node.args[0].lineno


def extract_template_source(source: str, origin: str = "<template>") -> list[tuple[Message, int]]:
    """Every message of a Django template, normalised exactly as ``makemessages`` does.

    ``templatize`` rewrites the translation tags into ``gettext('...')``-style
    calls (escaping ``%`` as ``%%`` and trimming ``blocktranslate trimmed``) and
    blanks everything else out; the calls are then read with ``tokenize``.
    """
    return list(_template_messages(source, origin))


def _template_messages(source: str, origin: str) -> Iterator[tuple[Message, int]]:
    from django.utils.translation.template import templatize

    # Lines are left-aligned so the tokenizer never sees a stray indentation.
    text = "\n".join(line.lstrip() for line in templatize(source, origin).splitlines())
    try:
        tokens = [
            token
            for token in tokenize.generate_tokens(io.StringIO(text).readline)
            if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)
        ]
    except (tokenize.TokenError, SyntaxError) as error:
        raise ValueError(f"{origin}: cannot read the translation tags: {error}") from error
    for index, token in enumerate(tokens[:-1]):
        roles = TRANSLATION_FUNCTIONS.get(token.string) if token.type == tokenize.NAME else None
        if roles is None or tokens[index + 1].string != "(":
            continue
        strings: list[str] = []
        position = index + 2
        while position < len(tokens) and tokens[position].type == tokenize.STRING:
            value = ""
            while position < len(tokens) and tokens[position].type == tokenize.STRING:
                value += ast.literal_eval(tokens[position].string)
                position += 1
            strings.append(value)
            if position < len(tokens) and tokens[position].string == ",":
                position += 1
        message = _message_from_strings(roles, strings)
        if message is not None:
            yield message, token.start[0]


def extract_messages(root: Path = ROOT) -> list[Found]:
    """Every translatable string of our code and templates, in file order."""
    found: list[Found] = []
    for path in python_files(root):
        relative = path.relative_to(root).as_posix()
        for message, line in extract_python_source(path.read_text("utf-8"), relative):
            found.append(Found(message, f"{relative}:{line}"))
    for path in template_files(root):
        relative = path.relative_to(root).as_posix()
        for message, line in extract_template_source(path.read_text("utf-8"), relative):
            found.append(Found(message, f"{relative}:{line}"))
    return found


def group_messages(
    found: Iterable[Found],
) -> dict[tuple[str | None, str], tuple[Message, list[str]]]:
    """One entry per gettext key, with every place it is used (first plural form wins)."""
    grouped: dict[tuple[str | None, str], tuple[Message, list[str]]] = {}
    for item in found:
        message, locations = grouped.get(item.message.key, (item.message, []))
        if message.plural is None and item.message.plural is not None:
            message = item.message
        locations.append(item.location)
        grouped[item.message.key] = (message, locations)
    return grouped


# --- placeholders -------------------------------------------------------------

# A ``%`` directive as Python's ``%`` operator reads it: an optional ``(name)``, flags,
# width, precision, a length modifier, and the conversion (absent: a malformed ``%``).
_DIRECTIVE = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*[\d*]*(?:\.[\d*]*)?[hlL]?"
    r"(?P<conversion>[diouxXeEfFgGcrsa%])?"
)


def format_directives(text: str) -> tuple[set[str], list[str], int]:
    """``%`` directives of a string: named ones, positional ones, and malformed ``%``.

    ``%%`` is a literal percent sign and counts as none of them.
    """
    named: set[str] = set()
    positional: list[str] = []
    malformed = 0
    index = text.find("%")
    while index != -1:
        match = _DIRECTIVE.match(text, index)
        name, conversion = match.group("name"), match.group("conversion")
        end = match.end()
        if conversion is None or (conversion == "%" and name is not None):
            malformed += 1
            if conversion is not None:
                end -= 1  # that ``%`` may begin the next directive
        elif name is not None:
            named.add(match.group(0))
        elif match.group(0) != "%%":
            positional.append(match.group(0))
        index = text.find("%", end)
    return named, positional, malformed


def placeholder_problem(source: str, translation: str) -> str | None:
    """Why ``translation`` would not format like ``source``, or None when it does."""
    source_named, source_positional, _source_malformed = format_directives(source)
    named, positional, malformed = format_directives(translation)
    if named != source_named:
        return (
            f"placeholders {sorted(named) or 'none'} in the English, "
            f"{sorted(source_named) or 'none'} in the source"
        )
    is_formatted = bool(source_named or source_positional or "%%" in source)
    if is_formatted and positional != source_positional:
        return f"placeholders {positional} in the English, {source_positional} in the source"
    if is_formatted and malformed:
        return "a lone % in the English (write %% for a percent sign)"
    return None


# --- the catalogue -------------------------------------------------------------


def load_catalogue(po_path: Path = PO_PATH) -> polib.POFile:
    return polib.pofile(str(po_path), wrapwidth=79)


def _entry_translations(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(source, English) pairs of an entry: one, or one per plural form."""
    if entry.msgid_plural:
        return [
            (entry.msgid if index == 0 else entry.msgid_plural, text)
            for index, text in sorted(entry.msgstr_plural.items())
        ]
    return [(entry.msgid, entry.msgstr)]


def _describe(message: Message) -> str:
    context = f" (context {message.context!r})" if message.context is not None else ""
    return f"{message.msgid!r}{context}"


def untranslated_problems(found: Iterable[Found], catalogue: polib.POFile) -> list[str]:
    """Every source string without a usable English translation, one line each."""
    entries = {(entry.msgctxt, entry.msgid): entry for entry in catalogue if not entry.obsolete}
    problems = []
    for message, locations in group_messages(found).values():
        where = locations[0] + (f" (+{len(locations) - 1} more)" if len(locations) > 1 else "")
        entry = entries.get(message.key)
        if entry is None:
            problems.append(f"{where}: no English translation for {_describe(message)}")
            continue
        if (message.plural or "") != entry.msgid_plural:
            problems.append(
                f"{where}: the plural of {_describe(message)} is {message.plural!r} "
                f"in the code but {entry.msgid_plural!r} in the .po"
            )
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"{where}: the English for {_describe(message)} is marked fuzzy")
            continue
        pairs = _entry_translations(entry)
        if not pairs or any(not english.strip() for _source, english in pairs):
            problems.append(f"{where}: empty English translation for {_describe(message)}")
            continue
        for source, english in pairs:
            problem = placeholder_problem(source, english)
            if problem is not None:
                problems.append(f"{where}: {_describe(message)} -> {english!r}: {problem}")
    return problems


def _compiled_form(catalogue: polib.POFile | polib.MOFile) -> tuple[dict, dict]:
    """What Django reads from a catalogue: charset, plural rule and every translated message.

    Other header fields (dates, translator) do not change what anyone sees, and
    msgfmt drops some of them, so they do not count.
    """
    messages = {}
    for entry in catalogue:
        if isinstance(catalogue, polib.POFile) and not entry.translated():
            continue
        if entry.msgid_plural:
            value: object = tuple(text for _index, text in sorted(entry.msgstr_plural.items()))
        else:
            value = entry.msgstr
        messages[(entry.msgctxt or None, entry.msgid, entry.msgid_plural or None)] = value
    header = {field: catalogue.metadata.get(field) for field in RUNTIME_HEADER_FIELDS}
    return header, messages


def stale_mo_problem(po_path: Path = PO_PATH, mo_path: Path = MO_PATH) -> str | None:
    """Why the .mo does not hold what the .po says, or None when it does.

    The comparison is by content, not by time stamps (git does not keep them),
    and works for a .mo written by this script or by msgfmt alike.
    """
    if not mo_path.exists():
        return f"{_relative(mo_path)} is missing: run python tools/i18n.py compile"
    try:
        compiled = polib.mofile(str(mo_path))
    except (OSError, ValueError) as error:
        return f"{_relative(mo_path)} cannot be read ({error}): run python tools/i18n.py compile"
    if _compiled_form(compiled) != _compiled_form(load_catalogue(po_path)):
        return f"{_relative(mo_path)} is stale: run python tools/i18n.py compile"
    return None


def check(root: Path = ROOT, po_path: Path = PO_PATH, mo_path: Path = MO_PATH) -> list[str]:
    """Every problem that keeps English from being complete; empty when all is well."""
    if not po_path.exists():
        return [f"{_relative(po_path)} is missing"]
    problems = untranslated_problems(extract_messages(root), load_catalogue(po_path))
    stale = stale_mo_problem(po_path, mo_path)
    if stale is not None:
        problems.append(stale)
    return problems


def unused_entries(found: Iterable[Found], catalogue: polib.POFile) -> list[polib.POEntry]:
    keys = {item.message.key for item in found}
    return [
        entry
        for entry in catalogue
        if not entry.obsolete and (entry.msgctxt, entry.msgid) not in keys
    ]


def compile_catalogue(po_path: Path = PO_PATH, mo_path: Path = MO_PATH) -> int:
    """Write the .mo from the .po; returns the number of translated messages written."""
    catalogue = load_catalogue(po_path)
    mo_path.parent.mkdir(parents=True, exist_ok=True)
    catalogue.save_as_mofile(str(mo_path))
    return len(catalogue.translated_entries())


def update_catalogue(root: Path = ROOT, po_path: Path = PO_PATH) -> tuple[int, int]:
    """Add new source strings to the .po with empty English and mark unused ones obsolete.

    Returns (added, obsoleted). Existing English is never touched.
    """
    found = extract_messages(root)
    catalogue = load_catalogue(po_path)
    entries = {(entry.msgctxt, entry.msgid): entry for entry in catalogue}
    added = 0
    for message, locations in group_messages(found).values():
        occurrences = [tuple(location.rsplit(":", 1)) for location in locations]
        entry = entries.get(message.key)
        if entry is None:
            entry = polib.POEntry(
                msgctxt=message.context,
                msgid=message.msgid,
                msgid_plural=message.plural or "",
                msgstr_plural={0: "", 1: ""} if message.plural is not None else {},
            )
            named, positional, _malformed = format_directives(message.msgid)
            if named or positional:
                entry.flags.append("python-format")
            catalogue.append(entry)
            added += 1
        entry.obsolete = False
        entry.occurrences = occurrences
    unused = unused_entries(found, catalogue)
    for entry in unused:
        entry.obsolete = True
    catalogue.save(str(po_path))
    return added, len(unused)


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["check", "compile", "update"])
    arguments = parser.parse_args(argv)
    if arguments.command == "compile":
        count = compile_catalogue()
        print(f"wrote {_relative(MO_PATH)}: {count} messages")
        return 0
    if arguments.command == "update":
        added, obsoleted = update_catalogue()
        print(f"{_relative(PO_PATH)}: {added} new (translate them), {obsoleted} marked obsolete")
        return 0
    problems = check()
    for problem in problems:
        print(problem)
    found = extract_messages()
    count = len(group_messages(found))
    if problems:
        print(f"{len(problems)} problem(s) among {count} source strings", file=sys.stderr)
        return 1
    unused = len(unused_entries(found, load_catalogue()))
    note = f" ({unused} unused entries in the .po: python tools/i18n.py update)" if unused else ""
    print(f"English complete: {count} source strings translated{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
