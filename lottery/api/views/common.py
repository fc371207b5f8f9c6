"""What the lottery API's views share: the OpenAPI tag, the round a URL names, and the
answers written by hand (a service's refusal, JSON that bypasses DRF's rendering)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.response import Response

from ...models import Round
from ...services.errors import LotteryError

TAGS = ["lottery"]


def rounds_with_rule_set() -> Any:
    return Round.objects.select_related("rule_set")


def round_or_404(code: str) -> Round:
    return get_object_or_404(rounds_with_rule_set(), code=code)


def refusal_response(
    error: LotteryError, *, nested_under: str = "", nested_fields: tuple = ()
) -> Response:
    """A service's refusal as ``400``: the message on its field (an applicant's fields
    nested under ``applicant``), or as ``detail`` when it is about no one field."""
    field = error.field if error.field and error.field != "__all__" else ""
    if not field:
        return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
    if nested_under and field in nested_fields:
        return Response({nested_under: {field: [str(error)]}}, status=status.HTTP_400_BAD_REQUEST)
    return Response({field: [str(error)]}, status=status.HTTP_400_BAD_REQUEST)


def json_response(
    body: Any, *, status_code: int, headers: dict[str, str] | None = None
) -> HttpResponse:
    # What DRF's JSONRenderer writes, for the answers that bypass its rendering.
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        status=status_code,
        content_type="application/json",
        headers=headers,
    )
