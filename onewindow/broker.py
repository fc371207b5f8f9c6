"""kombu's Redis transport, keeping one redis-py client per channel.

kombu (5.7) builds a new ``redis.Redis`` for every message it publishes and for every
acknowledgement, and redis-py (8.x) builds its table of ~170 response callbacks anew
in each one (redis-py issue #3624; PR #4124 would cache it): about 0.25 ms of CPU each
time, a third of what publishing a task costs. A worker publishes several jobs and
acknowledges two messages per case (with the settings change in ``onewindow/celery.py``
the workers' CPU per case went from 39 to 32 ms, README). The client is thread-safe (every command borrows a connection from the channel's
pool), so one per channel, made again whenever the channel's pool is (after a fork or
a lost connection), does the same work.

Selected with ``CELERY_BROKER_TRANSPORT`` in full mode; the broker URL stays
``redis://``. Everything else is kombu's.
"""

from __future__ import annotations

from kombu.transport import redis


class Channel(redis.Channel):
    _sync_client = None

    def _create_client(self, asynchronous: bool = False):  # type: ignore[no-untyped-def]
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._sync_client
        # ``self.pool`` makes a new pool once the old one was dropped (after a fork,
        # on reconnecting): a client of the old pool is not reused then.
        if client is None or client.connection_pool is not self.pool:
            client = self._sync_client = super()._create_client()
        return client


class Transport(redis.Transport):
    Channel = Channel
