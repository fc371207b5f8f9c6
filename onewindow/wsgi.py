"""The WSGI application, as Django makes it (granian or gunicorn serve it, README)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings.prod")

application = get_wsgi_application()
