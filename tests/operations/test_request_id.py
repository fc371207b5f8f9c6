"""The request id: from a trusted proxy's X-Request-ID or new, in the answer's header, in
every log line (JSON with the production settings), and in the tasks the request publishes."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.core.signals import request_finished
from django.db import close_old_connections
from django.http import HttpResponse
from django.test import Client, RequestFactory
from kombu import Connection
from pythonjsonlogger.json import JsonFormatter

from onewindow.celery import app
from operations.request_id import RequestIdLogFilter, RequestIdMiddleware, current_request_id
from operations.tasks import heartbeat
from tools.servers import redis_server

ROOT = Path(__file__).resolve().parents[2]
PROXY_ID = "0123456789abcdef0123456789abcdef"


def answer_sent():
    """What the server sends once an answer is out, without closing the test's database
    connection (Django's test client leaves ``close_old_connections`` out the same way)."""
    request_finished.disconnect(close_old_connections)
    try:
        request_finished.send(sender=None)
    finally:
        request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _answer_sent():
    """Calling the middleware by hand sends no ``request_finished``: each test ends as a
    request does."""
    yield
    answer_sent()


@pytest.mark.django_db  # /health/ checks the database
def test_a_new_id_in_every_answer():
    client = Client()
    first = client.get("/health/")["X-Request-ID"]
    second = client.get("/no-such-page/")["X-Request-ID"]
    assert len(first) == 32 and first != second


@pytest.mark.django_db
def test_the_id_of_a_trusted_proxy_is_kept_anyone_elses_is_not(settings):
    assert Client(HTTP_X_REQUEST_ID=PROXY_ID).get("/health/")["X-Request-ID"] != PROXY_ID
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    proxied = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REQUEST_ID=PROXY_ID)
    assert proxied.get("/health/")["X-Request-ID"] == PROXY_ID
    # Even from the proxy, something that could forge a log line is replaced.
    forged = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REQUEST_ID='x" injected\n')
    assert forged.get("/health/")["X-Request-ID"] != 'x" injected\n'


@pytest.fixture
def json_lines():
    """The production settings' JSON formatter and filter on a handler of the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    formatter = django_settings.LOGGING["formatters"]["json"]
    handler.setFormatter(JsonFormatter(formatter["fmt"], json_ensure_ascii=False))
    handler.addFilter(RequestIdLogFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = logging.getLogger("operations").level
    logging.getLogger("operations").setLevel(logging.DEBUG)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger("operations").setLevel(previous)
    root.removeHandler(handler)


@pytest.mark.django_db
def test_a_task_run_by_the_request_logs_with_its_id(json_lines):
    """Embedded mode: the task runs in-process, inside the request, with its id."""

    def view(request):
        heartbeat.delay("celery")  # logs "heartbeat of queue celery ..." in the service
        return HttpResponse("ok")

    response = RequestIdMiddleware(view)(RequestFactory().get("/"))
    task_lines = [line for line in json_lines() if line["name"] == "operations.services"]
    assert task_lines, json_lines()
    assert {line["request_id"] for line in task_lines} == {response["X-Request-ID"]}
    assert {line["task_name"] for line in task_lines} == {"operations.heartbeat"}
    assert current_request_id() == response["X-Request-ID"]  # until the answer is sent
    answer_sent()
    assert current_request_id() is None


@pytest.mark.django_db
def test_a_task_given_an_id_in_its_headers_logs_with_it(json_lines):
    """What a worker does with the header a publish added."""
    heartbeat.apply(("celery",), headers={"request_id": PROXY_ID})
    task_lines = [line for line in json_lines() if line["name"] == "operations.services"]
    assert [line["request_id"] for line in task_lines] == [PROXY_ID]
    assert current_request_id() is None  # the task's id is gone after it


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")  # send_task publishes
def test_a_task_published_during_a_request_carries_the_id_in_its_message():
    """A real publish to a real Redis (Celery's before_task_publish)."""
    with redis_server() as url:

        def view(request):
            with Connection(url) as connection:
                app.send_task("operations.heartbeat", ("celery",), connection=connection)
            return HttpResponse("ok")

        response = RequestIdMiddleware(view)(RequestFactory().get("/"))
        (raw,) = redis.Redis.from_url(url).lrange("celery", 0, -1)
        assert json.loads(raw)["headers"]["request_id"] == response["X-Request-ID"]


def test_every_line_is_json_with_the_production_settings(tmp_path):
    """A real process on onewindow.settings.prod: a 404 logs one JSON line with the id."""
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/no-such-page/', secure=True);"
        "print(r.status_code, r['X-Request-ID'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "onewindow.settings.prod",
        "SECRET_KEY": "k" * 30 + "0123456789abcdefghijklmnop",
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    status, request_id = done.stdout.split()
    assert status == "404"
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert lines, done.stderr
    (not_found,) = [line for line in lines if line["name"] == "django.request"]
    assert not_found["request_id"] == request_id
    assert not_found["levelname"] == "WARNING"


# --- the outbox: a job keeps its request's id, and a republish by the sweeper carries it ---

SWEEP_SCRIPT = """
import datetime as dt
import json

import django

django.setup()
import redis
from django.conf import settings
from django.core.management import call_command
from django.core.signals import request_finished
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from cases.services.jobs import job_enqueue, jobs_sweep
from onewindow.request_context import current_request_id
from operations.request_id import RequestIdMiddleware

call_command("migrate", verbosity=0)
broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)


def view(request):
    with transaction.atomic():
        job = job_enqueue(kind="dispatch_case", key="dispatch:1", payload={"case_id": 1})
    return HttpResponse(str(job.pk))


response = RequestIdMiddleware(view)(RequestFactory().get("/"))
first = broker.lrange("celery", 0, -1)
request_finished.send(sender=None)
assert current_request_id() is None
# A Redis restart without persistence: the message is gone, the row says it was sent.
broker.delete("celery")
later = timezone.now() + dt.timedelta(seconds=settings.JOB_REPUBLISH_SECONDS + 1)
republished = jobs_sweep(now=later)
second = broker.lrange("celery", 0, -1)
print(json.dumps({
    "request_id": response["X-Request-ID"],
    "job": int(response.content),
    "republished": republished,
    "first": [json.loads(raw) for raw in first],
    "second": [json.loads(raw) for raw in second],
}))
"""


def test_a_job_republished_by_the_sweeper_carries_its_requests_id(tmp_path):
    """A real process on a real Redis: the job enqueued in a request is published with the
    request's id; its message lost, the sweeper (in no request) sends it again with it."""
    with redis_server() as url:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "onewindow.settings.test",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "REDIS_URL": url,
        }
        done = subprocess.run(
            [sys.executable, "-c", SWEEP_SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["republished"] == 1
    for sent in (result["first"], result["second"]):
        (message,) = sent
        assert message["headers"]["task"] == "cases.run_job"
        assert json.loads(_body(message))[0] == [result["job"]]
        assert message["headers"]["request_id"] == result["request_id"]


def _body(message):
    """A Celery message's body as kombu puts it on Redis: base64 of the JSON."""
    import base64

    return base64.b64decode(message["body"]).decode()


@pytest.mark.django_db
def test_a_job_keeps_the_id_of_the_request_that_enqueued_it():
    from cases.models import Job
    from cases.services.jobs import job_enqueue

    def view(request):
        job_enqueue(kind="dispatch_case", key="dispatch:in-request", payload={"case_id": 0})
        return HttpResponse("ok")

    response = RequestIdMiddleware(view)(RequestFactory().get("/"))
    answer_sent()
    job_enqueue(kind="dispatch_case", key="dispatch:no-request", payload={"case_id": 0})
    assert Job.objects.get(key="dispatch:in-request").request_id == response["X-Request-ID"]
    assert Job.objects.get(key="dispatch:no-request").request_id is None
