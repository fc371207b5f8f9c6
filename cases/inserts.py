"""A new row inserted by a statement the ORM cannot write, as ``save()`` would insert it.

Where an INSERT must be part of something the ORM has no words for — an ``INSERT …
SELECT`` behind a data-modifying ``WITH`` (the audit chain, ``cases/audit.py``), an
``INSERT … ON CONFLICT DO NOTHING`` that still answers the new id (the outbox,
``cases/services/jobs/enqueue.py``) — the caller writes the statement over
``insert_fields`` and this runs it the way ``Model.save()`` inserts: ``pre_save`` sent,
each value prepared by its field (``pre_save``: ``auto_now``/``auto_now_add``;
``get_db_prep_save``), and, when a row was inserted, its id set, the instance marked
saved (``_state.adding`` and ``_state.db``, the two documented attributes) and
``post_save`` sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.db.models import signals


def insert_fields(model: type[models.Model]) -> list[models.Field]:
    """The columns an insert of ``model`` writes, in order: every concrete field but the
    primary key (the database gives it)."""
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def row_insert_returning(
    row: models.Model, *, cursor: Any, connection: Any, sql: str, before: Sequence[Any] = ()
) -> bool:
    """Run ``sql`` — whose parameters are ``before`` and then one per ``insert_fields``
    column, and which answers the new row's id (``RETURNING id``) or no row — for ``row``.
    True when it inserted the row."""
    model = type(row)
    signals.pre_save.send(
        sender=model, instance=row, raw=False, using=connection.alias, update_fields=None
    )
    values = [
        field.get_db_prep_save(field.pre_save(row, True), connection)
        for field in insert_fields(model)
    ]
    cursor.execute(sql, [*before, *values])
    returned = cursor.fetchone()
    if returned is None:
        return False
    row.pk = returned[0]
    row._state.adding = False
    row._state.db = connection.alias
    signals.post_save.send(
        sender=model,
        instance=row,
        created=True,
        update_fields=None,
        raw=False,
        using=connection.alias,
    )
    return True
