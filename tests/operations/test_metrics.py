"""/metrics: 404 when off; when on, Prometheus text with the domain gauges for allowed
addresses only (the trusted client address, not a forged header); the tracking API's
short way through Django stays on with the metrics middlewares."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from cases.constants import ApprovalState, CaseState, JobState
from cases.models import Job
from operations.metrics_settings import METRICS_MIDDLEWARE
from operations.selectors import domain_figures
from tests.factories import ApprovalFactory, CaseFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_ENABLED = True
    middleware = list(settings.MIDDLEWARE)
    settings.MIDDLEWARE = [*middleware[:1], *METRICS_MIDDLEWARE, *middleware[1:]]
    return settings


def test_off_by_default_then_404(settings):
    assert settings.METRICS_ENABLED is False
    assert not set(METRICS_MIDDLEWARE) & set(settings.MIDDLEWARE)
    assert Client().get("/metrics").status_code == 404


def test_the_setting_puts_the_middlewares_right_after_the_request_id():
    code = "from django.conf import settings; print(settings.MIDDLEWARE[:3])"
    env = {
        **os.environ,
        "METRICS_ENABLED": "1",
        "DJANGO_SETTINGS_MODULE": "onewindow.settings.test",
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert eval(out) == [
        "operations.request_id.RequestIdMiddleware",
        *METRICS_MIDDLEWARE,
    ]


def test_on_gives_prometheus_text_with_the_domain_gauges(metrics_on):
    CaseFactory(state=CaseState.IN_REVIEW)
    CaseFactory(state=CaseState.IN_REVIEW)
    CaseFactory(state=CaseState.CLOSED)
    ApprovalFactory(state=ApprovalState.IN_REVIEW, due_date="2020-01-02")
    Job.objects.create(kind="issue_pdf", key="metrics-test", state=JobState.PENDING)
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    assert 'onewindow_cases_open{state="IN_REVIEW"} 3.0' in text  # the approval's case too
    assert 'state="CLOSED"' not in text
    assert "onewindow_approvals_overdue 1.0" in text
    assert 'onewindow_jobs_open{kind="issue_pdf",state="pending"} 1.0' in text
    # django-prometheus's request metrics, counted by the middlewares.
    assert "django_http_requests_before_middlewares_total" in text
    assert "django_http_responses_total_by_status_view_method" in text


def test_the_domain_figures_take_three_queries_whatever_the_rows(django_assert_num_queries):
    for state in (CaseState.SUBMITTED, CaseState.IN_REVIEW, CaseState.SUSPENDED):
        CaseFactory.create_batch(3, state=state)
    with django_assert_num_queries(3):
        figures = domain_figures()
    assert figures.open_cases[CaseState.IN_REVIEW] == 3
    assert figures.open_cases[CaseState.APPROVED] == 0


def test_refused_from_an_address_outside_the_allowed_networks(metrics_on):
    metrics_on.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    refused = Client(REMOTE_ADDR="203.0.113.7").get("/metrics")
    assert refused.status_code == 403
    assert "不允许" in refused.content.decode()
    # A forged X-Forwarded-For from a client that is no proxy of ours changes nothing.
    forged = Client(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert forged.get("/metrics").status_code == 403


def test_public_tracking_is_counted_under_its_view(metrics_on):
    case = CaseFactory(state=CaseState.IN_REVIEW)
    client = Client()
    client.get(reverse("api:track", args=[case.tracking_no]), {"id_suffix": "0000"})
    text = client.get("/metrics").content.decode()
    line = next(
        line
        for line in text.splitlines()
        if line.startswith("django_http_responses_total_by_status_view_method_total{")
        and 'view="api:track"' in line
    )
    assert float(line.rsplit(" ", 1)[1]) >= 1
