"""Test settings: the embedded default (SQLite, tasks in-process) unless the test set-up says otherwise."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES

DEBUG = False
# A real OpenID Connect provider for the unified-identity sign-in test
# (tests/citizens/test_sign_up_oidc.py mounts its URLs in a test URLconf only).
INSTALLED_APPS = [*INSTALLED_APPS, "oauth2_provider"]  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="onewindow-test-media-")
SEALS_DIR = tempfile.mkdtemp(prefix="onewindow-test-seals-")
LANGUAGE_CODE = "zh-hans"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not the shared-cache memory database: concurrency tests open
    # several connections, and shared-cache SQLite fails them with table locks
    # instead of letting them wait.
    # One file per process, so parallel runs (and xdist workers) never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"onewindow-test-{os.getpid()}.sqlite3")
    }
