"""Applications: taken in by staff (window, agent), and the public side — an
application's verdict and its appeal, opened by its number and the last four characters of
the ID (like case tracking), misses limited per address and per application."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import parsers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from departments.identifiers import mask_name

from ...models import Application
from ...selectors import (
    application_no_clean,
    application_public_get,
    application_public_view,
)
from ...services.applications import application_appeal, application_submit
from ...services.errors import AlreadyAppliedError, LotteryError, RoundNotOpenError
from ..permissions import IsLotteryIntakeStaff, intake_channel
from ..serializers import (
    ID_SUFFIX_HELP,
    ID_SUFFIX_PATTERN,
    LotteryAlreadyAppliedSerializer,
    LotteryAppealResultSerializer,
    LotteryAppealSerializer,
    LotteryApplicationCreatedSerializer,
    LotteryApplicationCreateSerializer,
    LotteryApplicationSerializer,
)
from ..throttles import lookup_blocked, lookup_failure_record
from .common import TAGS, json_response, refusal_response, round_or_404

LOOKUP_NOT_FOUND = OpenApiResponse(
    description=gettext_lazy("申请编号不存在，或与证件号码后四位不符（两者的回答完全相同）")
)
LOOKUP_THROTTLED = OpenApiResponse(
    description=gettext_lazy("查询失败次数过多，请稍后再试（见 Retry-After 响应头）")
)
CONFLICT = OpenApiResponse(
    LotteryAlreadyAppliedSerializer,
    description=gettext_lazy(
        "该申请人已申请本轮（application_no 为已有的申请编号），或本轮不在申请期内"
    ),
)

APPLICANT_FIELDS = ("id_type", "id_number", "name", "phone")


class RoundApplicationCreateView(APIView):
    """`POST /api/v1/lottery/rounds/<code>/applications/`: a clerk (window channel) or a
    village agent (agent channel) applies for someone. Citizens apply in the portal."""

    permission_classes = [IsLotteryIntakeStaff]
    # JSON only: the applicant is a nested object, which a form cannot carry.
    parser_classes = [parsers.JSONParser]

    @extend_schema(
        tags=TAGS,
        summary=gettext_lazy("代为提交摇号申请（窗口、代办员）"),
        request=LotteryApplicationCreateSerializer,
        responses={
            201: LotteryApplicationCreatedSerializer,
            400: OpenApiResponse(
                description=gettext_lazy(
                    "输入有误（如证件号码校验位不符）：每个字段一条说明，嵌套在 applicant 下；"
                    "未作任何改变"
                )
            ),
            409: CONFLICT,
        },
    )
    def post(self, request: Request, code: str) -> Response:
        round_ = round_or_404(code)
        shape = LotteryApplicationCreateSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        applicant = shape.validated_data["applicant"]
        try:
            application = application_submit(
                round_=round_,
                id_type=applicant["id_type"],
                id_number=applicant["id_number"],
                name=applicant["name"],
                phone=applicant["phone"],
                channel=intake_channel(request.user),
                user=request.user,
            )
        except AlreadyAppliedError as error:
            return Response(
                {"detail": str(error), "application_no": error.application_no},
                status=status.HTTP_409_CONFLICT,
            )
        except RoundNotOpenError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        except LotteryError as error:
            return refusal_response(error, nested_under="applicant", nested_fields=APPLICANT_FIELDS)
        return Response(
            LotteryApplicationCreatedSerializer(application).data, status=status.HTTP_201_CREATED
        )


def _not_found() -> HttpResponse:
    # One answer for an unknown number and a wrong suffix: no hint which.
    return json_response(
        {"detail": _("未找到该摇号申请，请核对申请编号和证件号码后四位。")},
        status_code=status.HTTP_404_NOT_FOUND,
    )


def _throttled(request: Request, number: str) -> HttpResponse | None:
    """429 while the address or the application is blocked: answered before anything
    is read, for a right guess too."""
    block = lookup_blocked(request=request, application_no=number)
    if block is None:
        return None
    return json_response(
        {"detail": block.message},
        status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(block.retry_after)},
    )


def _looked_up(request: Request, number: str, id_suffix: str) -> Application | HttpResponse:
    """The application the number and suffix open, or 404 (counted as a miss)."""
    application = application_public_get(application_no=number, id_suffix=id_suffix)
    if application is not None:
        return application
    lookup_failure_record(
        request=request,
        application_no=number,
        exists=Application.objects.filter(application_no=number).exists(),
    )
    return _not_found()


def _suffix_given(value: str) -> str | None:
    suffix = (value or "").strip()
    return suffix if len(suffix) == 4 and suffix.isascii() and suffix.isalnum() else None


def _application_body(application: Application) -> dict[str, Any]:
    view = application_public_view(application=application)
    return {
        "application_no": view["application_no"],
        "round": view["round"],
        "applicant_masked": mask_name(application.applicant.name),
        "state": view["state"],
        "state_display": str(application.get_state_display()),
        "weight": view["weight"],
        "lottery_code": view["lottery_code"],
        "reasons": view["reasons"],
    }


NO_STORE = {"Cache-Control": "no-store, private"}


class ApplicationLookupView(APIView):
    """`GET /api/v1/lottery/applications/<application_no>/?id_suffix=XXXX` (public): the
    verdict with every failed rule's reason. Misses are limited per client address and
    per application, like case tracking."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        parameters=[
            OpenApiParameter(
                "id_suffix",
                {"type": "string", "pattern": ID_SUFFIX_PATTERN},
                required=True,
                description=ID_SUFFIX_HELP,
            )
        ],
        responses={
            200: LotteryApplicationSerializer,
            400: OpenApiResponse(description=gettext_lazy("未提供证件号码后四位（id_suffix）")),
            404: LOOKUP_NOT_FOUND,
            429: LOOKUP_THROTTLED,
        },
    )
    def get(self, request: Request, application_no: str) -> HttpResponse:
        number = application_no_clean(application_no)
        throttled = _throttled(request, number)
        if throttled is not None:
            return throttled
        id_suffix = _suffix_given(request.query_params.get("id_suffix", ""))
        if id_suffix is None:
            return json_response(
                {"id_suffix": [_("请提供证件号码的最后四位（id_suffix）。")]},
                status_code=status.HTTP_400_BAD_REQUEST,
            )
        found = _looked_up(request, number, id_suffix)
        if isinstance(found, HttpResponse):
            return found
        return Response(_application_body(found), headers=NO_STORE)


class ApplicationAppealView(APIView):
    """`POST /api/v1/lottery/applications/<application_no>/appeal/` (public, with the
    ID suffix): an ineligible applicant asks for a review (复核) before the draw. The
    registries are read again now; passing makes the application eligible, still failing
    sends it to the lottery officer (``APPEALED``)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [parsers.JSONParser]

    @extend_schema(
        tags=TAGS,
        summary=gettext_lazy("审核未通过的申请人申请复核"),
        request=LotteryAppealSerializer,
        responses={
            200: LotteryAppealResultSerializer,
            404: LOOKUP_NOT_FOUND,
            409: OpenApiResponse(
                description=gettext_lazy("该申请不能申请复核（不是审核未通过，或本轮已摇号）")
            ),
            429: LOOKUP_THROTTLED,
        },
    )
    def post(self, request: Request, application_no: str) -> HttpResponse:
        number = application_no_clean(application_no)
        throttled = _throttled(request, number)
        if throttled is not None:
            return throttled
        shape = LotteryAppealSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        found = _looked_up(request, number, shape.validated_data["id_suffix"])
        if isinstance(found, HttpResponse):
            return found
        try:
            appealed = application_appeal(application=found, note=shape.validated_data["note"])
        except LotteryError as error:
            if error.field:
                return refusal_response(error)
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(
            {
                "application_no": appealed.application_no,
                "state": appealed.state,
                "state_display": str(appealed.get_state_display()),
                "reasons": application_public_view(application=appealed)["reasons"],
            },
            headers=NO_STORE,
        )
