"""Writes: a person's choice of how to be told."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import Applicant

from ..exceptions import PreferenceError
from ..models import NotificationPreference


def notification_preference_update(
    *, applicant: Applicant, sms_enabled: bool, email_enabled: bool, email: str
) -> NotificationPreference:
    """The citizen switches SMS and e-mail on or off; later messages follow the choice.
    E-mail on needs an address; without one nothing changes."""
    email = email.strip()
    if email_enabled and not email:
        raise PreferenceError(_("接收电子邮件需要填写电子邮箱。"))
    with transaction.atomic():
        preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
            applicant=applicant
        )
        preference.sms_enabled = sms_enabled
        preference.email_enabled = email_enabled
        preference.email = email
        preference.full_clean()
        preference.save()
    return preference


def notification_preference_get(*, applicant: Applicant) -> NotificationPreference:
    """The applicant's preference, or the defaults (unsaved) when they never chose."""
    return NotificationPreference.objects.filter(applicant=applicant).first() or (
        NotificationPreference(applicant=applicant)
    )
