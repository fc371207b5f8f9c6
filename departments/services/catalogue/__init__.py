"""The catalogue as data: the whole catalogue in one YAML file, in and out.

Operators keep departments, registries, certificate and material types, items,
bundles and sharing agreements in a YAML file under version control and load it
with ``manage.py import_catalogue FILE``; ``manage.py export_catalogue`` writes the
database back out in the same format.

The import is all or nothing. The whole file is checked first and *every* problem
is reported at once, each message naming the file, the entry and the field, for
example ``catalogue.yaml: items[3] (code "A003"): field "department": unknown
department "ZZ" (line 57)``. Only a file without a single problem is written, in
one transaction; otherwise the database stays exactly as it was.

The steps live in their own modules: :mod:`.schema` (the sections and columns),
:mod:`.parsing` (YAML with line numbers), :mod:`.checking` and :mod:`.values` (each
entry's shape and values), :mod:`.database_checks` (the file as a whole and against
the database), :mod:`.writing` and :mod:`.export`.
"""

from __future__ import annotations

from pathlib import Path

from django.db import DatabaseError, transaction

from .checking import Checker
from .database_checks import check_departments, check_duplicates, check_models, check_references
from .export import catalogue_export
from .parsing import read_document
from .schema import SECTION_NAMES, SECTIONS, CatalogueError
from .writing import load_existing, write_catalogue

__all__ = ["SECTIONS", "SECTION_NAMES", "CatalogueError", "catalogue_export", "catalogue_import"]


def catalogue_import(*, path: Path | str) -> dict[str, int]:
    """Load a catalogue YAML file into the database, all or nothing.

    Rows are matched by code (sharing agreements by consumer and registry): existing
    rows are updated, new ones created, and nothing else is deleted, except that an
    item's materials and a bundle's items become exactly the lists in the file. A key
    left out of an entry keeps the row's current value (or the default, for a new
    row). References may point to rows in the file or already in the database.

    Returns ``{"<section>_created": n, "<section>_updated": n, "<section>_unchanged": n}``
    for every section. Raises :class:`CatalogueError` listing every problem in the
    file; then nothing at all has been written.
    """
    path = Path(path)
    filename = path.name
    data, locator = read_document(path)
    checker = Checker(filename=filename, locator=locator)
    entries = checker.sections(data)
    check_duplicates(checker, entries)
    file_codes = {
        name: {
            entry.values["code"]
            for entry in entries
            if entry.section.name == name and "code" in entry.values
        }
        for name in SECTION_NAMES
    }
    existing = load_existing(entries, checker.references)
    check_references(checker, existing, file_codes)
    check_departments(checker, entries)
    check_models(checker, entries, existing)
    if checker.errors:
        raise CatalogueError(checker.errors)
    try:
        with transaction.atomic():
            return write_catalogue(entries, existing)
    except DatabaseError as error:
        # Another writer got in between the checks and the write (or a rename swap
        # collided); nothing was written.
        raise CatalogueError(
            [f"{filename}: the database refused the import, nothing was written: {error}"]
        ) from None
