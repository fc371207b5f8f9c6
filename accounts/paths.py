"""Where the API starts, from the URLconf (read once, when first asked: not at import
time, since the URLconf imports the modules that ask)."""

from __future__ import annotations

import functools

from django.urls import reverse


@functools.cache
def api_root() -> str:
    return reverse("api:schema").removesuffix("schema/")


def is_api_path(path: str) -> bool:
    return path.startswith(api_root())
