"""Full mode's PostgreSQL connection: parameters bound on the server, and the
statements the engine repeats prepared there once per connection."""

from __future__ import annotations

import pytest
from django.db import connection

from cases.models import Case
from tests.factories import CaseFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db]


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_parameters_are_bound_on_the_server():
    assert connection.features.uses_server_side_binding
    case = CaseFactory()

    assert Case.objects.get(tracking_no=case.tracking_no) == case


def test_a_statement_run_five_times_on_a_connection_is_prepared_on_the_server():
    cases = CaseFactory.create_batch(6)
    marker = 'cases_case"."tracking_no" = $1'

    for case in cases[:4]:
        Case.objects.get(tracking_no=case.tracking_no)
    assert not [statement for statement in prepared_statements() if marker in statement]

    for case in cases[4:]:
        Case.objects.get(tracking_no=case.tracking_no)
    assert [statement for statement in prepared_statements() if marker in statement]
