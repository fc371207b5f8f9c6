"""The Celery application.

Embedded mode (no ``REDIS_URL``): tasks run in-process, eagerly, after the
transaction that caused them commits. Full mode: Redis is the broker and
separate ``celery worker`` / ``celery beat`` processes run the same tasks.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings.dev")

app = Celery("onewindow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
