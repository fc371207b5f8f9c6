"""``GET /api/v1/track/<tracking_no>/?id_suffix=XXXX`` (public, DESIGN.md §6)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors import case_for_tracking, case_public_view
from ..throttles import TRACK_FAILURES


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


def not_found() -> Response:
    # One answer for an unknown number, a wrong suffix and a malformed number: no hint which.
    return Response(
        {"detail": _("未找到该办件，请核对办件编号和证件号码后四位。")},
        status=status.HTTP_404_NOT_FOUND,
    )


class TrackView(APIView):
    """Public: where is my case? Tracking number plus the last four characters of the ID."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("id_suffix", str, required=True, description="证件号码后四位")
        ],
        responses={200: TrackSerializer},
    )
    def get(self, request, tracking_no: str) -> Response:
        if TRACK_FAILURES.is_blocked(request):
            window = int(getattr(settings, "TRACK_FAILURE_WINDOW_SECONDS", 600))
            return Response(
                {"detail": _("查询失败次数过多，请稍后再试。")},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(window)},
            )
        id_suffix = request.query_params.get("id_suffix", "").strip()
        if len(id_suffix) != 4:
            return Response(
                {"id_suffix": [_("请提供证件号码的最后四位（id_suffix）。")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        case = case_for_tracking(tracking_no=tracking_no, id_suffix=id_suffix)
        if case is None:
            TRACK_FAILURES.record(request)
            return not_found()
        response = Response(
            TrackSerializer(case_public_view(case=case), context={"request": request}).data
        )
        response.headers["Cache-Control"] = "no-store, private"
        return response
