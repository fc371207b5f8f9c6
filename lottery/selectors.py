"""Reads for the lottery's pages: the officer's admin, the citizen's /me/lottery/, the public
result page and its look-up. Every list here costs a fixed number of queries whatever the
number of rows (a round may hold two million applications)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from cases.models import Applicant
from departments.constants import Role
from departments.identifiers import mask_name
from departments.roles import user_department_id, user_role

from .constants import ApplicationState
from .models import Application, Round

APPLICATION_NO_MAX_LENGTH = 40
ID_SUFFIX_LENGTH = 4


def application_no_clean(value: str) -> str:
    """An application number as typed: spaces dropped, upper case (round codes are)."""
    return "".join((value or "").split()).upper()[:APPLICATION_NO_MAX_LENGTH]


# -- the officer's admin ----------------------------------------------------------------


def user_confined_rule_set_department_id(user: Any) -> int | None:
    """The department whose rounds a lottery officer is confined to (their own), or
    ``None`` when not confined (superusers). An officer with no department is confined
    to nothing: ``-1`` matches no department."""
    if user is None or getattr(user, "is_superuser", False):
        return None
    if user_role(user) == Role.LOTTERY_OFFICER:
        department_id = user_department_id(user)
        return department_id if department_id is not None else -1
    return None


def rounds_state_counts(*, round_ids: list[int]) -> dict[int, dict[str, int]]:
    """How many applications of each round are in each state: one ``GROUP BY`` for all
    the rounds of a list page."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if not round_ids:
        return {}
    rows = (
        Application.objects.filter(round_id__in=round_ids)
        .values_list("round_id", "state")
        .annotate(count=Count("id"))
        .order_by()
        .values_list("round_id", "state", "count")
    )
    for round_id, state, count in rows:
        counts[round_id][state] = count
    return dict(counts)


# -- the citizen's portal -------------------------------------------------------------------


def rounds_open_now() -> QuerySet[Round]:
    """The rounds taking applications now, closing soonest first."""
    now = timezone.now()
    return Round.objects.filter(
        applications_open__lte=now, applications_close__gt=now, drawn_at__isnull=True
    ).order_by("applications_close", "id")


def applicant_applications(*, applicant: Applicant) -> QuerySet[Application]:
    """The applicant's own applications, newest round first, with their rounds."""
    return (
        Application.objects.filter(applicant=applicant)
        .select_related("round")
        .defer("facts")
        .order_by("-created_at", "-id")
    )


def applicant_application_get(*, applicant: Applicant, application_no: str) -> Application | None:
    """One of the applicant's own applications; another's is ``None``, like none at all."""
    return (
        Application.objects.filter(
            applicant=applicant, application_no=application_no_clean(application_no)
        )
        .select_related("round", "applicant")
        .first()
    )


# -- the public page ----------------------------------------------------------------------


def rounds_public() -> QuerySet[Round]:
    return Round.objects.only(
        "code",
        "name",
        "quota",
        "applications_open",
        "applications_close",
        "pool_entries",
        "pool_sha256",
        "drawn_at",
    ).order_by("-applications_open", "-id")


def round_public_get(*, code: str) -> Round | None:
    return Round.objects.filter(code=(code or "").strip().upper()).first()


def round_winners(*, round_: Round) -> QuerySet[Application]:
    """The winners in draw order, with what the public page shows of them (the lottery
    code and the applicant's name, masked by the page)."""
    return (
        Application.objects.filter(round=round_, state=ApplicationState.WON)
        .order_by("draw_rank")
        .values_list("draw_rank", "lottery_code", "applicant__name", "applicant__kind")
    )


def winner_rows(rows: list[tuple[int, str, str, str]]) -> list[dict[str, Any]]:
    """A page of ``round_winners`` as shown: persons' names masked, organisations' whole
    (a registered name is public)."""
    from cases.constants import ApplicantKind

    return [
        {
            "rank": rank,
            "lottery_code": code,
            "name": mask_name(name) if kind == ApplicantKind.PERSON else name,
        }
        for rank, code, name, kind in rows
    ]


def application_public_get(*, application_no: str, id_suffix: str) -> Application | None:
    """The application if the number exists *and* the applicant's ID number ends with the
    suffix; else ``None``. An unknown number and a wrong suffix take the same path (one
    indexed query, one constant-time comparison): the answer does not tell them apart."""
    number = application_no_clean(application_no)
    suffix = (id_suffix or "").strip().upper()
    application = (
        Application.objects.filter(application_no=number)
        .select_related("round", "applicant")
        .defer("facts")
        .first()
    )
    expected = (
        application.applicant.id_number[-ID_SUFFIX_LENGTH:].upper() if application else "----"
    )
    matches = constant_time_compare(expected, suffix)
    if application is None or not matches or len(suffix) != ID_SUFFIX_LENGTH:
        return None
    return application


def application_public_view(*, application: Application) -> dict[str, Any]:
    """What the look-up answers (the page and the public API): the verdict with every
    failed rule's reason; nothing about the person beyond it."""
    return {
        "application_no": application.application_no,
        "round": application.round.code,
        "round_name": application.round.name,
        "state": application.state,
        "state_label": application.get_state_display(),
        "weight": application.weight,
        "lottery_code": application.lottery_code,
        "reasons": [
            {
                "rule": reason.get("rule", ""),
                "registry": reason.get("registry", ""),
                "message": reason.get("message", ""),
            }
            for reason in (application.reasons or [])
            if isinstance(reason, dict)
        ],
        "draw_rank": application.draw_rank,
    }


def application_number_exists(*, number: str) -> bool:
    """Whether an application has this number (a failed look-up counts against it then)."""
    return Application.objects.filter(application_no=application_no_clean(number)).exists()


def applications_taken_by(*, user: Any) -> QuerySet[Application]:
    """The applications a clerk or agent took, newest first, with round and applicant."""
    return (
        Application.objects.filter(submitted_by=user)
        .select_related("round", "applicant")
        .order_by("-created_at", "-id")
    )
