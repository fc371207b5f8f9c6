"""The broker as the site and the workers use it: Celery's settings come from Django's,
and kombu's Redis transport keeps one redis-py client per channel (onewindow/broker.py)."""

from __future__ import annotations

import base64
import json

import pytest
from kombu import Connection, Exchange, Queue

from tools.servers import redis_server_handle


def test_celery_reads_every_celery_setting_of_django():
    from django.conf import settings

    from onewindow.celery import app

    names = [name for name in dir(settings) if name.startswith("CELERY_")]
    assert "CELERY_TASK_ACKS_LATE" in names
    for name in names:
        assert app.conf[name.removeprefix("CELERY_").lower()] == getattr(settings, name), name


def test_the_redis_transport_is_chosen_for_a_redis_url_only():
    import importlib

    import onewindow.settings.base as base

    try:
        for url, expected in [
            ("redis://127.0.0.1:6379/0", "onewindow.broker:Transport"),
            ("", None),  # embedded: memory://
            ("rediss://broker.example:6380/0", None),  # TLS: kombu's own URL handling
        ]:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("REDIS_URL", url)
                transport = importlib.reload(base).CELERY_BROKER_TRANSPORT
                assert transport == expected, url
    finally:
        importlib.reload(base)


@pytest.fixture(scope="module")
def redis():
    with redis_server_handle() as server:
        yield server


QUEUE = Queue("broker-test", Exchange("broker-test"), routing_key="broker-test")


@pytest.mark.integration
def test_publishing_and_acknowledging_reuse_one_client_per_channel(redis):
    with Connection(redis.url, transport="onewindow.broker:Transport") as connection:
        channel = connection.default_channel
        producer = connection.Producer(channel)
        for number in range(3):
            producer.publish(
                {"名": "𠮷", "n": number},
                exchange=QUEUE.exchange,
                routing_key="broker-test",
                declare=[QUEUE],
            )
        client = channel.kept_client
        assert client is not None and client.connection_pool is channel.pool
        assert channel.client is not client  # the asynchronous one (BRPOP) stays kombu's
        received = []
        with connection.SimpleQueue(QUEUE) as queue:
            for _ in range(3):
                message = queue.get(timeout=5)
                received.append(message.payload)
                message.ack()
            assert channel.kept_client is client
        assert received == [{"名": "𠮷", "n": number} for number in range(3)]
        # Nothing left unacknowledged or queued.
        assert client.hlen(channel.unacked_key) == 0
        assert client.llen("broker-test") == 0


def _publish_in_a_forked_child(channel, producer, first, answer) -> None:  # type: ignore[no-untyped-def]
    """In the child kombu has dropped the parent's pools (its after-fork hook)."""
    producer.publish({"n": 2}, exchange=QUEUE.exchange, routing_key="broker-test")
    client = channel.kept_client
    answer.send(client is not first and client.connection_pool is channel.pool)


@pytest.mark.integration
def test_a_new_pool_gets_a_new_client(redis):
    import multiprocessing

    with Connection(redis.url, transport="onewindow.broker:Transport") as connection:
        channel = connection.default_channel
        producer = connection.Producer(channel)
        producer.publish(
            {"n": 1}, exchange=QUEUE.exchange, routing_key="broker-test", declare=[QUEUE]
        )
        first = channel.kept_client
        assert first is not None
        context = multiprocessing.get_context("fork")
        answer, send = context.Pipe(duplex=False)
        child = context.Process(
            target=_publish_in_a_forked_child, args=(channel, producer, first, send)
        )
        child.start()
        child.join(30)
        assert child.exitcode == 0
        assert answer.recv() is True  # the child's client is of the child's own pool
        assert channel.kept_client is first  # the parent's stays
        assert first.llen("broker-test") == 2
        first.delete("broker-test")


@pytest.mark.integration
def test_the_kept_client_reconnects_after_a_broker_restart(redis):
    """Its pool's connections die with the server; the next command opens a new one.
    (Published to the default exchange, which routes by queue name: kombu's binding
    tables are data in Redis and go with an unsaved restart.)"""
    with Connection(redis.url, transport="onewindow.broker:Transport") as connection:
        channel = connection.default_channel
        producer = connection.Producer(channel)
        publish = connection.ensure(producer, producer.publish, max_retries=5)
        publish({"n": 1}, exchange="", routing_key="broker-restart")
        redis.restart()
        publish({"n": 2}, exchange="", routing_key="broker-restart")
        assert channel.kept_client.connection_pool is channel.pool
        payloads = [
            json.loads(body) for body in channel.kept_client.lrange("broker-restart", 0, -1)
        ]
        assert {"n": 2} in [json.loads(base64.b64decode(payload["body"])) for payload in payloads]
