"""``track_answer_json``: the throttle check and the API's final JSON, in one PostgreSQL statement."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language

from ..selectors import ID_SUFFIX_PATTERN, TRACKING_NO_PATTERN, tracking_no_clean
from ..throttles import track_target
from .cursor import _fetch_one
from .statements import _answer_sql
from .verify import _TOKEN


def track_answer_json(
    *,
    tracking_no: str,
    id_suffix: str,
    verify_url: str,
    client: str,
    failure_limit: int,
    case_failure_limit: int,
) -> tuple[str, bytes | None]:
    """PostgreSQL only: whether the tracking throttle blocks the request — ``"client"``
    when ``client`` has at least ``failure_limit`` failures in its current window,
    ``"case"`` when the case's own count of wrong suffixes (``track_target``) has at least
    ``case_failure_limit``, else ``""`` (``TrackFailure``) — and, if it does not, the
    API's answer (``TrackSerializer``'s JSON, UTF-8) for the case if the number exists
    *and* the ID number ends with the suffix, else None. One prepared statement, the same
    single query for an unknown number, a wrong suffix and malformed input; a blocked
    request's case is not even read. ``verify_url`` is a certificate's absolute verify
    URL with ``_TOKEN`` in place of the token."""
    tracking_no = tracking_no_clean(tracking_no)
    id_suffix = (id_suffix or "").strip().upper()
    if not TRACKING_NO_PATTERN.match(tracking_no) or not ID_SUFFIX_PATTERN.match(id_suffix):
        tracking_no = ""  # still query, for the same timing; matches nothing
    before, _token, after = verify_url.partition(_TOKEN)
    language = get_language() or settings.LANGUAGE_CODE
    row = _fetch_one(
        _answer_sql(language, timezone.get_current_timezone()),
        [
            tracking_no,
            id_suffix,
            before,
            after,
            client,
            str(failure_limit),
            track_target(tracking_no),
            str(case_failure_limit),
        ],
    )
    assert row is not None  # the statement always answers one row
    return row[0] or "", row[1].encode() if row[1] is not None else None
