"""Numbers people read and type: allocated safely under concurrency, never by max()+1."""

from __future__ import annotations

import secrets

from django.db import connection, transaction
from django.utils import timezone

from ..models import NumberSequence

# Crockford's base 32 without I, L, O, U: nothing to misread on a receipt.
TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TRACKING_RANDOM_LENGTH = 8


def tracking_number_new() -> str:
    """``YYMMDD`` + 8 random symbols (40 bits): not sequential, so not guessable.

    Uniqueness is enforced by the database constraint; the caller retries on the
    (about one in a trillion per day) collision.
    """
    today = timezone.localdate()
    random_part = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_RANDOM_LENGTH))
    return f"{today:%y%m%d}{random_part}"


def sequence_next(*, name: str) -> int:
    """The next value of the named counter, atomically, inside the caller's transaction.

    One ``UPDATE ... RETURNING`` (PostgreSQL, SQLite 3.35+): the row lock queues
    concurrent callers until the holder commits, so no value is handed out twice.
    """
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    increment = f"UPDATE {table} SET value = value + 1 WHERE name = %s RETURNING value"
    with connection.cursor() as cursor:
        cursor.execute(increment, [name])
        row = cursor.fetchone()
        if row is None:  # the first use of this counter
            with transaction.atomic():
                NumberSequence.objects.get_or_create(name=name)
            cursor.execute(increment, [name])
            row = cursor.fetchone()
    return row[0]
