"""``GET /api/v1/track/<tracking_no>/?id_suffix=XXXX`` (public, docs/architecture.md §6)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import parse_qsl

from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from onewindow.api_schema import WHITESPACE_CLASS

from ..selectors import tracking_no_clean
from ..throttles import TRACK_FAILURES, client_ident, track_block, track_block_message
from ..tracking import track_answer_json, track_lookup, verify_path_template

ID_SUFFIX_SCHEMA_PATTERN = rf"^[{WHITESPACE_CLASS}]*[0-9A-Za-z]{{4}}[{WHITESPACE_CLASS}]*$"


class TrackItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    department = serializers.CharField()
    approval_state = serializers.CharField(allow_null=True)
    approval_state_display = serializers.CharField(allow_blank=True)
    due_date = serializers.DateField(allow_null=True)


class TrackEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    event = serializers.CharField()
    item = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)


class TrackMissingSerializer(serializers.Serializer):
    material_type = serializers.CharField()
    name = serializers.CharField()
    item = serializers.CharField(allow_blank=True)
    department = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True)
    what_to_do = serializers.CharField()


class TrackDeliverySerializer(serializers.Serializer):
    courier = serializers.CharField()
    courier_display = serializers.CharField()
    waybill = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField()
    delivered_at = serializers.DateTimeField(allow_null=True)


class TrackCertificateSerializer(serializers.Serializer):
    number = serializers.CharField()
    type = serializers.CharField()
    status = serializers.CharField()
    verify_url = serializers.SerializerMethodField()

    def get_verify_url(self, certificate: dict) -> str:
        request = self.context.get("request")
        path = certificate["verify_path"]
        return request.build_absolute_uri(path) if request else path


class TrackSerializer(serializers.Serializer):
    """The answer's contract, for the OpenAPI schema. The view writes the same JSON without
    it — on PostgreSQL the database writes it (``tracking.track_answer_json``), elsewhere
    ``track_answer``: a serializer pass was a large share of a lookup's CPU time; a test
    checks that both give the same answer for cases in every state."""

    tracking_no = serializers.CharField()
    state = serializers.CharField()
    state_display = serializers.CharField()
    stage = serializers.CharField()
    stage_display = serializers.CharField()
    explanation = serializers.CharField(allow_blank=True)
    applicant_masked = serializers.CharField()
    due_date = serializers.DateField(allow_null=True)
    items = TrackItemSerializer(many=True)
    timeline = TrackEventSerializer(many=True)
    missing = TrackMissingSerializer(many=True)
    delivery = TrackDeliverySerializer(allow_null=True)
    certificates = TrackCertificateSerializer(many=True)


def _datetime(value: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    # DRF's DateTimeField: ISO 8601 in the current time zone, "Z" for UTC.
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def track_answer(view: dict[str, Any], *, request: HttpRequest) -> dict[str, Any]:
    """``TrackSerializer(view).data`` without the serializer: the public view as JSON."""
    delivery = view["delivery"]
    zone = timezone.get_current_timezone()
    return {
        "tracking_no": view["tracking_no"],
        "state": view["state"],
        "state_display": str(view["state_display"]),
        "stage": view["stage"],
        "stage_display": view["stage_display"],
        "explanation": view["explanation"],
        "applicant_masked": view["applicant_masked"],
        "due_date": _date(view["due_date"]),
        "items": [
            {
                "code": item["code"],
                "name": item["name"],
                "department": item["department"],
                "approval_state": item["approval_state"],
                "approval_state_display": str(item["approval_state_display"]),
                "due_date": _date(item["due_date"]),
            }
            for item in view["items"]
        ],
        "timeline": [
            {
                "at": _datetime(event["at"], zone),
                "event": event["event"],
                "item": event["item"],
                "note": event["note"],
            }
            for event in view["timeline"]
        ],
        "missing": [
            {
                "material_type": material["material_type"],
                "name": material["name"],
                "item": material["item"],
                "department": material["department"],
                "reason": material["reason"],
                "what_to_do": str(material["what_to_do"]),
            }
            for material in view["missing"]
        ],
        "delivery": (
            {
                "courier": delivery["courier"],
                "courier_display": str(delivery["courier_display"]),
                "waybill": delivery["waybill"],
                "status": delivery["status"],
                "status_display": str(delivery["status_display"]),
                "delivered_at": _datetime(delivery["delivered_at"], zone),
            }
            if delivery is not None
            else None
        ),
        "certificates": [
            {
                "number": certificate["number"],
                "type": certificate["type"],
                "status": str(certificate["status"]),
                "verify_url": request.build_absolute_uri(certificate["verify_path"]),
            }
            for certificate in view["certificates"]
        ],
    }


def _dumps(body: Any) -> bytes:
    # What DRF's JSONRenderer writes: UTF-8, compact, no ASCII escapes.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _json(body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(
        _dumps(body), status=status, content_type="application/json", headers=headers
    )


def not_found() -> HttpResponse:
    # One answer for an unknown number, a wrong suffix and a malformed number: no hint which.
    return _json({"detail": _("未找到该办件，请核对办件编号和证件号码后四位。")}, status=404)


class TrackView(APIView):
    """Public: where is my case? Tracking number plus the last four characters of the ID.

    A GET is answered by ``track`` as a plain Django view, without DRF's request wrapper,
    authentication, content negotiation and renderer: the endpoint has no
    authentication and one representation, and that machinery was a large share of a
    lookup's CPU time (README, "Public tracking under load"). The class stays an
    ``APIView`` so the OpenAPI schema describes it; other methods go through DRF as usual.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            return track(request, kwargs["tracking_no"])
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "id_suffix",
                # Blanks around it are trimmed; the letters may be lowercase.
                {"type": "string", "pattern": ID_SUFFIX_SCHEMA_PATTERN},
                required=True,
                description="证件号码后四位",
            )
        ],
        responses={
            200: TrackSerializer,
            400: OpenApiResponse(description=gettext_lazy("未提供证件号码后四位（id_suffix）")),
            404: OpenApiResponse(
                description=gettext_lazy("办件编号不存在，或与证件号码后四位不符")
            ),
            429: OpenApiResponse(
                description=gettext_lazy("查询失败次数过多，请稍后再试（见 Retry-After 响应头）")
            ),
        },
    )
    def get(self, request, tracking_no: str) -> HttpResponse:
        return track(request, tracking_no)


def _query_value(request: HttpRequest, name: str) -> str:
    """``request.GET.get(name, "")`` without building the QueryDict: the same parse
    (``parse_qsl``, blank values kept, UTF-8), the last value wins."""
    if "GET" in request.__dict__:  # already parsed
        return request.GET.get(name, "")
    value = ""
    for key, item in parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True):
        if key == name:
            value = item
    return value


def track(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """The throttle first (also for a right guess), then the one lookup. On PostgreSQL
    both are one statement that reads the case only when the request is not blocked,
    and writes the answer's JSON itself (citizens.tracking)."""
    id_suffix = _query_value(request, "id_suffix").strip()
    client = client_ident(request)
    on_postgresql = connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
    if on_postgresql:
        reason, body = track_answer_json(
            tracking_no=tracking_no,
            id_suffix=id_suffix,  # a malformed one matches nothing
            verify_url=request.build_absolute_uri(verify_path_template()),
            client=client,
            failure_limit=TRACK_FAILURES.client.limit,
            case_failure_limit=TRACK_FAILURES.case.limit,
        )
        block = track_block(reason)
    else:
        block = TRACK_FAILURES.blocked(client=client, tracking_no=tracking_no_clean(tracking_no))
    if block is not None:
        return _json(
            {"detail": str(track_block_message(block))},
            status=429,
            headers={"Retry-After": str(block.retry_after)},
        )
    if len(id_suffix) != 4:
        return _json({"id_suffix": [_("请提供证件号码的最后四位（id_suffix）。")]}, status=400)
    if not on_postgresql:
        view = track_lookup(tracking_no=tracking_no, id_suffix=id_suffix)
        body = _dumps(track_answer(view, request=request)) if view is not None else None
    if body is None:
        TRACK_FAILURES.record(client=client, tracking_no=tracking_no_clean(tracking_no))
        return not_found()
    return HttpResponse(
        body, content_type="application/json", headers={"Cache-Control": "no-store, private"}
    )
