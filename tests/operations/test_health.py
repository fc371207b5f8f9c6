"""/health/: every check green with everything up, a broken one shows (and fails the
answer), JSON when asked, the workers' heartbeat per queue."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from cases.services.jobs import JOB_HANDLERS
from operations.models import WorkerHeartbeat
from operations.services import worker_heartbeat_record
from operations.tasks import heartbeat
from tools.servers import free_port, redis_server

pytestmark = pytest.mark.django_db


def _json(**extra):
    response = Client().get("/health/", HTTP_ACCEPT="application/json", **extra)
    return response.status_code, response.json()


def test_embedded_mode_is_green_without_any_worker_process():
    status, body = _json()
    assert status == 200
    assert set(body.values()) == {"OK"}
    assert {name.split("(")[0] for name in body} == {
        "Database",
        "Cache",
        "Broker",
        "Storage",
        "WorkerHeartbeat",
    }
    assert "Broker(transport='memory')" in body
    assert not WorkerHeartbeat.objects.exists()


def test_json_by_query_string_and_a_page_otherwise():
    assert Client().get("/health/", {"format": "json"}).json()
    page = Client().get("/health/")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert "系统健康状态：正常" in page.content.decode()


def test_a_cache_that_cannot_be_reached_fails_the_check(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        }
    }
    status, body = _json()
    assert status == 500
    assert body["Cache(alias='default')"] != "OK"
    assert body["Database(alias='default')"] == "OK"
    page = Client().get("/health/")
    assert page.status_code == 500
    assert "系统健康状态：有异常" in page.content.decode()


@pytest.fixture
def full_mode(settings):
    """A real Redis as broker and cache: what /health/ checks in full mode."""
    with redis_server() as url:
        settings.CELERY_BROKER_URL = url
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        }
        yield url


def test_full_mode_is_green_when_every_queue_has_a_recent_heartbeat(full_mode, settings):
    for queue in settings.HEALTH_WORKER_QUEUES:
        worker_heartbeat_record(queue=queue, hostname=f"worker-{queue}@host")
    status, body = _json()
    assert status == 200, body
    assert set(body.values()) == {"OK"}
    assert any(name.startswith("Redis(") for name in body)


def test_a_queue_without_a_recent_heartbeat_is_named(full_mode, settings):
    worker_heartbeat_record(queue="celery", hostname="w1@host")
    worker_heartbeat_record(queue="documents", hostname="w2@host")
    WorkerHeartbeat.objects.filter(queue="documents").update(
        seen_at=timezone.now()
        - dt.timedelta(seconds=settings.HEALTH_WORKER_MAX_SILENCE_SECONDS + 5)
    )
    status, body = _json()
    assert status == 500
    (worker,) = [value for name, value in body.items() if name.startswith("WorkerHeartbeat")]
    assert "documents" in worker and "celery" not in worker


def test_a_broker_that_cannot_be_reached_fails_the_check(full_mode, settings):
    for queue in settings.HEALTH_WORKER_QUEUES:
        worker_heartbeat_record(queue=queue, hostname="w@host")
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    status, body = _json()
    assert status == 500
    (broker,) = [value for name, value in body.items() if name.startswith("Redis(")]
    assert broker != "OK"


def test_the_heartbeat_task_records_its_queue_and_beat_sends_one_to_every_queue(settings):
    heartbeat.delay("documents")
    assert WorkerHeartbeat.objects.get(queue="documents").seen_at > timezone.now() - dt.timedelta(
        seconds=5
    )
    sent = {
        entry["options"]["queue"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "operations.heartbeat"
    }
    assert sent == set(settings.HEALTH_WORKER_QUEUES)
    # Every queue a job runs on is watched.
    assert {handler.queue or "celery" for handler in JOB_HANDLERS.values()} <= sent
