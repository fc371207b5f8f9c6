"""A certificate's verify path with a stand-in for its token, reversed once per script prefix.

``track_lookup`` puts each certificate's token in its place; the API builds the absolute
URL from ``verify_path_template`` and hands it to ``track_answer_json``, whose statement
writes the token in between.
"""

from __future__ import annotations

import functools

from django.urls import get_script_prefix, reverse

_TOKEN = "0TOKEN0"  # stands for a verification token (URL-safe: reverse() leaves it as is)


def verify_path_template() -> str:
    """A certificate's verify path with ``_TOKEN`` in place of its token."""
    return _verify_path(get_script_prefix())


@functools.lru_cache(maxsize=8)
def _verify_path(script_prefix: str) -> str:
    """The verification URL with ``_TOKEN`` in place of the token, once per script
    prefix (the active one when first asked): ``reverse()`` per certificate was a
    visible share of a lookup's CPU time."""
    return reverse("certificates:verify", args=[_TOKEN])
