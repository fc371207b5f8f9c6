"""The certificate model moved from cases to certificates (cases 0014, certificates
0002–0003): an existing library keeps every row, and its content type (with the
permissions granted on it) follows the model; the move runs backwards too."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from certificates.models import Certificate
from tests.factories import CertificateFactory

BEFORE = [("cases", "0013_case_centre"), ("certificates", "0001_initial")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _tables():
    return set(connection.introspection.table_names())


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_the_rows_and_the_content_type_move_back_and_forth():
    certificate = CertificateFactory()
    content_type = ContentType.objects.get_for_model(Certificate)
    assert (content_type.app_label, Certificate._meta.db_table) == (
        "certificates",
        "certificates_certificate",
    )
    ContentType.objects.clear_cache()
    try:
        _migrate(BEFORE)
        assert "cases_certificate" in _tables() and "certificates_certificate" not in _tables()
        with connection.cursor() as cursor:
            cursor.execute("SELECT number FROM cases_certificate WHERE id = %s", [certificate.pk])
            assert cursor.fetchone() == (certificate.number,)
        assert ContentType.objects.filter(pk=content_type.pk, app_label="cases").exists()
    finally:
        _migrate(_latest())
        ContentType.objects.clear_cache()
    assert "certificates_certificate" in _tables() and "cases_certificate" not in _tables()
    assert Certificate.objects.get(pk=certificate.pk).number == certificate.number
    assert ContentType.objects.get(pk=content_type.pk).app_label == "certificates"
