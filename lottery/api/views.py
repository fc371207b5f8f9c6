"""The lottery API (issue 16): rounds for the lottery officer, applications taken in at the
window or by an agent, and the public side — an application's verdict and its appeal
(number + the last four characters of the ID, like case tracking), the published pool
file and the draw's result that anyone can re-run (``tools/verify_draw.py``).

Thin views: shape checks here, everything else in ``lottery.services``. Bad input is
``400`` with a message per field (nothing changed), a state conflict ``409``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from departments.identifiers import mask_name
from onewindow.api_schema import ErrorDetailSerializer

from ..models import Application, Round, RuleSet
from ..selectors import (
    application_no_clean,
    application_public_get,
    application_public_view,
)
from ..services.applications import application_appeal, application_submit
from ..services.errors import AlreadyAppliedError, LotteryError, RoundNotOpenError
from ..services.rounds import round_close, round_create
from .permissions import IsLotteryIntakeStaff, IsLotteryOfficer, intake_channel
from .serializers import (
    ID_SUFFIX_HELP,
    ID_SUFFIX_PATTERN,
    LotteryAlreadyAppliedSerializer,
    LotteryAppealResultSerializer,
    LotteryAppealSerializer,
    LotteryApplicationCreatedSerializer,
    LotteryApplicationCreateSerializer,
    LotteryApplicationSerializer,
    LotteryResultSerializer,
    LotteryRoundCreateSerializer,
    LotteryRoundSerializer,
)
from .throttles import lookup_blocked, lookup_failure_record

TAGS = ["lottery"]
# Rounds come monthly or so: the public list answers the newest ones, unpaginated.
ROUND_LIST_LIMIT = 100
WINNERS_CHUNK = 10_000

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


def _rounds() -> Any:
    return Round.objects.select_related("rule_set")


def _round(code: str) -> Round:
    return get_object_or_404(_rounds(), code=code)


def _refused(error: LotteryError, *, nested_under: str = "", nested_fields: tuple = ()) -> Response:
    """A service's refusal as ``400``: the message on its field (an applicant's fields
    nested under ``applicant``), or as ``detail`` when it is about no one field."""
    field = error.field if error.field and error.field != "__all__" else ""
    if not field:
        return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
    if nested_under and field in nested_fields:
        return Response({nested_under: {field: [str(error)]}}, status=status.HTTP_400_BAD_REQUEST)
    return Response({field: [str(error)]}, status=status.HTTP_400_BAD_REQUEST)


def _json(body: Any, *, status_code: int, headers: dict[str, str] | None = None) -> HttpResponse:
    # What DRF's JSONRenderer writes, for the answers that bypass its rendering.
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        status=status_code,
        content_type="application/json",
        headers=headers,
    )


# --- rounds (the lottery officer; read by anyone) --------------------------------------------


class RoundListView(APIView):
    """`GET /api/v1/lottery/rounds/` (public): the rounds, newest first.
    `POST` (the lottery officer): open a round and publish its seed's SHA-256."""

    parser_classes = [parsers.JSONParser]

    def get_authenticators(self) -> list[Any]:
        # The list is public: credentials are read (and a bad token refused) on POST only.
        # (The schema generator asks once before it has given the view a request.)
        method = getattr(self.request, "method", None)
        return super().get_authenticators() if method in (None, "POST") else []

    def get_permissions(self) -> list[BasePermission]:
        return [IsLotteryOfficer()] if self.request.method == "POST" else [AllowAny()]

    @extend_schema(tags=TAGS, responses={200: LotteryRoundSerializer(many=True)})
    def get(self, request: Request) -> Response:
        rounds = _rounds().order_by("-applications_open", "-id")[:ROUND_LIST_LIMIT]
        return Response(LotteryRoundSerializer(rounds, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary=gettext_lazy("开放一轮摇号，公布种子的SHA-256"),
        request=LotteryRoundCreateSerializer,
        responses={201: LotteryRoundSerializer},
    )
    def post(self, request: Request) -> Response:
        shape = LotteryRoundCreateSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = shape.validated_data
        try:
            round_ = round_create(
                code=data["code"],
                name=data["name"],
                quota=data["quota"],
                applications_open=data["applications_open"],
                applications_close=data["applications_close"],
                seed_sha256=data["seed_sha256"],
                rule_set=_rule_set(data.get("rule_set")),
            )
        except LotteryError as error:
            return _refused(error)
        return Response(
            LotteryRoundSerializer(_rounds().get(pk=round_.pk)).data, status=status.HTTP_201_CREATED
        )


def _rule_set(code: str | None) -> RuleSet:
    """The rule set named, or, none named, the only one there is."""
    if code:
        found = RuleSet.objects.filter(code=code).first()
        if found is None:
            raise LotteryError(
                _("没有代码为“%(code)s”的资格规则。") % {"code": code}, field="rule_set"
            )
        return found
    only = list(RuleSet.objects.all()[:2])
    if len(only) != 1:
        raise LotteryError(
            _("请指定资格规则（rule_set）。") if only else _("尚未配置资格规则。"),
            field="rule_set",
        )
    return only[0]


class RoundDetailView(APIView):
    """`GET /api/v1/lottery/rounds/<code>/` (public): one round."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(tags=TAGS, responses={200: LotteryRoundSerializer})
    def get(self, request: Request, code: str) -> Response:
        return Response(LotteryRoundSerializer(_round(code)).data)


class RoundCloseView(APIView):
    """`POST /api/v1/lottery/rounds/<code>/close/` (the lottery officer): applications close
    now; a closed round stays as it is."""

    permission_classes = [IsLotteryOfficer]

    @extend_schema(
        tags=TAGS,
        summary=gettext_lazy("立即截止本轮申请"),
        request=None,
        responses={200: LotteryRoundSerializer},
    )
    def post(self, request: Request, code: str) -> Response:
        closed = round_close(round_=_round(code))
        return Response(LotteryRoundSerializer(_rounds().get(pk=closed.pk)).data)


# --- applications taken in by staff ----------------------------------------------------------

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
        round_ = _round(code)
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
            return _refused(error, nested_under="applicant", nested_fields=APPLICANT_FIELDS)
        return Response(
            LotteryApplicationCreatedSerializer(application).data, status=status.HTTP_201_CREATED
        )


# --- the public look-up and appeal ---------------------------------------------------------


def _not_found() -> HttpResponse:
    # One answer for an unknown number and a wrong suffix: no hint which.
    return _json(
        {"detail": _("未找到该摇号申请，请核对申请编号和证件号码后四位。")},
        status_code=status.HTTP_404_NOT_FOUND,
    )


def _throttled(request: Request, number: str) -> HttpResponse | None:
    """429 while the address or the application is blocked: answered before anything
    is read, for a right guess too."""
    block = lookup_blocked(request=request, application_no=number)
    if block is None:
        return None
    return _json(
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
            return _json(
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
                return _refused(error)
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


# --- the pool and the result (public) ------------------------------------------------------


class CSVRenderer(BaseRenderer):
    """Lets a client ask for ``text/csv``; the pool view answers with the file itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "us-ascii"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        return data if isinstance(data, bytes) else str(data).encode()


class RoundPoolView(APIView):
    """`GET /api/v1/lottery/rounds/<code>/pool/` (public): the pool file as published —
    ``lottery_code,weight`` lines sorted by lottery code — with its SHA-256 in
    ``X-Pool-SHA256``. Published after the verification and again after an appeal that
    changes it; the draw freezes it."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        tags=TAGS,
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description=gettext_lazy(
                    "资格池文件：每行“摇号编码,号数”，按摇号编码排序；响应头 X-Pool-SHA256 为其SHA-256"
                ),
            ),
            404: OpenApiResponse(
                ErrorDetailSerializer,
                description=gettext_lazy("轮次不存在，或资格池尚未公布（资格审核完成后公布）"),
            ),
        },
    )
    def get(self, request: Request, code: str) -> HttpResponse:
        round_ = Round.objects.filter(code=code).only("code", "pool_file", "pool_sha256").first()
        if round_ is None:
            return _json({"detail": _("未找到该摇号轮次。")}, status_code=status.HTTP_404_NOT_FOUND)
        if not round_.pool_file:
            return _json(
                {"detail": _("本轮资格池尚未公布：资格审核完成后公布。")},
                status_code=status.HTTP_404_NOT_FOUND,
            )
        response = FileResponse(
            default_storage.open(round_.pool_file, "rb"),
            content_type="text/csv; charset=us-ascii",
            as_attachment=True,
            filename=f"{round_.code}-pool.csv",
        )
        response["X-Pool-SHA256"] = round_.pool_sha256
        response["ETag"] = f'"{round_.pool_sha256}"'
        return response


class RoundResultView(APIView):
    """`GET /api/v1/lottery/rounds/<code>/result/` (public): the seed (once drawn), both
    hashes and the winners' lottery codes in draw order — everything needed to re-run the
    draw over the downloaded pool (``tools/verify_draw.py``)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(tags=TAGS, responses={200: LotteryResultSerializer})
    def get(self, request: Request, code: str) -> StreamingHttpResponse:
        round_ = _round(code)
        return StreamingHttpResponse(_result_stream(round_), content_type="application/json")


def _result_stream(round_: Round) -> Iterator[bytes]:
    """The result's JSON, the winners streamed from the database in draw order (one
    query, read in chunks: a quota of 100,000 never sits in memory at once)."""
    when = serializers.DateTimeField()
    head = {
        "round": round_.code,
        "quota": round_.quota,
        "seed_sha256": round_.seed_sha256,
        "seed": round_.seed or None,
        "pool_sha256": round_.pool_sha256 or None,
        "pool_entries": round_.pool_entries,
        "drawn_at": when.to_representation(round_.drawn_at) if round_.drawn_at else None,
    }
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    yield (text[:-1] + ',"winners":[').encode()
    if round_.drawn_at is not None:
        codes = (
            Application.objects.filter(round=round_, draw_rank__isnull=False)
            .order_by("draw_rank")
            .values_list("lottery_code", flat=True)
            .iterator(chunk_size=WINNERS_CHUNK)
        )
        batch: list[str] = []
        for index, lottery_code in enumerate(codes):
            batch.append(("," if index else "") + json.dumps(lottery_code))
            if len(batch) == WINNERS_CHUNK:
                yield "".join(batch).encode()
                batch = []
        yield "".join(batch).encode()
    yield b"]}"
