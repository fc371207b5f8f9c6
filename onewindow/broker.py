"""kombu's Redis transport, keeping one redis-py client per channel.

kombu (5.7) builds a new ``redis.Redis`` for every message it publishes and for every
acknowledgement, and redis-py (8.x) builds its table of ~170 response callbacks anew
in each one (https://github.com/redis/redis-py/issues/3624; the fix,
https://github.com/redis/redis-py/pull/4124, is not released): about 0.25 ms of CPU
each time, a third of what publishing a task costs. A worker publishes several jobs
and acknowledges two messages per case; with this transport the workers' CPU per case
went from 39 to 32 ms (docs/performance.md). The client is thread-safe (every command
borrows a connection from the channel's pool), so one per channel, made again whenever
the channel's pool is (after a fork or a lost connection), does the same work.

Only public extension points: a transport's ``Channel`` class, and the channel's
``conn_or_acquire`` (through which kombu's synchronous commands get their client) and
``pool``. Selected with ``CELERY_BROKER_TRANSPORT`` in full mode; the broker URL stays
``redis://``. Drop this module once a redis-py with the fix is required.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu.transport import redis


class Channel(redis.Channel):
    kept_client: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        if client is not None:
            yield client
            return
        kept = self.kept_client
        # ``self.pool`` makes a new pool once the old one was dropped (after a fork,
        # on reconnecting): a client of the old pool is not reused then.
        if kept is None or kept.connection_pool is not self.pool:
            with super().conn_or_acquire() as kept:
                self.kept_client = kept
        yield kept


class Transport(redis.Transport):
    Channel = Channel
