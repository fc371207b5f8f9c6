"""The environment every settings module reads: the project's root and ``env``.

Imported first by each of them, so ``.env`` is read once, before any variable is.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
