"""Retention runs are visible, read-only, to superusers and supervisors only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from departments.constants import Role
from privacy.constants import RunTrigger
from privacy.models import RetentionRun
from tests.factories import StaffFactory
from tests.sign_in import sign_in

LIST = reverse("admin:privacy_retentionrun_changelist")


@pytest.fixture
def run(db):
    return RetentionRun.objects.create(trigger=RunTrigger.COMMAND, counts={"sign_in_codes": 4})


@pytest.mark.parametrize("role", [Role.SUPERVISOR, None])
def test_supervisors_and_superusers_see_runs_read_only(client, run, role):
    user = (
        StaffFactory(username="supervisor_t", role=role)
        if role
        else StaffFactory(username="root_t", role=Role.CLERK, is_superuser=True)
    )
    sign_in(client, user)
    assert client.get(LIST).status_code == 200
    page = client.get(reverse("admin:privacy_retentionrun_change", args=[run.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.get(reverse("admin:privacy_retentionrun_add")).status_code == 403
    delete = reverse("admin:privacy_retentionrun_delete", args=[run.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert RetentionRun.objects.filter(pk=run.pk).exists()


def test_other_staff_do_not(client, run, clerk):
    sign_in(client, clerk)
    assert client.get(LIST).status_code in (302, 403)
