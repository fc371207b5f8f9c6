"""The kinds of personal data that are kept for a limited time: one table of functions.

Each kind names the setting that holds its period in days and the function that deletes
or anonymises what is older. The apps register their kinds in ``AppConfig.ready()``
(``privacy/apps.py`` for the tables of ``cases``, ``citizens``, ``sharing`` and
django-axes — the batch-read log a lottery round writes is ``batch_reads`` there; an app
with personal data in its own tables registers its own), so a reader and a tool can
follow each kind to its code:

    from privacy.retention import register
    register(kind="lottery_applications", setting_name="RETENTION_LOTTERY_APPLICATIONS_DAYS",
             apply=lottery_applications_expire, label=_("摇号申请"))

``apply(*, cutoff, dry_run, run)`` handles the rows older than ``cutoff`` and returns how
many it deleted or anonymised — or, with ``dry_run``, how many it would, changing nothing.
It works set-based: one statement per chunk of ``RETENTION_CHUNK_SIZE`` rows, never one per
row, each chunk committed on its own so that a long first run keeps what it did. ``run`` is
the ``RetentionRun`` being written (``None`` on a dry run). An append-only, hash-chained
table deletes through ``privacy.services.chained.chained_rows_remove``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ApplyFunction = Callable[..., int]


@dataclass(frozen=True)
class RetentionKind:
    kind: str
    setting_name: str
    apply: ApplyFunction
    label: Any  # a lazy translatable string


RETENTION_KINDS: dict[str, RetentionKind] = {}


def register(*, kind: str, setting_name: str, apply: ApplyFunction, label: Any) -> None:
    """Add a kind (from the owning app's ``AppConfig.ready()``). Registering the same kind
    again with the same function is harmless; another function for it is a mistake."""
    known = RETENTION_KINDS.get(kind)
    if known is not None and (known.apply is not apply or known.setting_name != setting_name):
        raise ValueError(f"retention kind {kind!r} is already registered to {known.apply!r}")
    RETENTION_KINDS[kind] = RetentionKind(
        kind=kind, setting_name=setting_name, apply=apply, label=label
    )


def registered_kinds() -> list[RetentionKind]:
    return list(RETENTION_KINDS.values())
