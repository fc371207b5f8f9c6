"""Numbers people read and type: allocated safely under concurrency, never by max()+1."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.db.models import F
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
    """The next value of the named counter, atomically, inside the caller's transaction."""
    with transaction.atomic():
        NumberSequence.objects.get_or_create(name=name)
        NumberSequence.objects.filter(name=name).update(value=F("value") + 1)
        return NumberSequence.objects.values_list("value", flat=True).get(name=name)
