"""The intake API (docs/architecture.md §6): open a case, hand over materials, submit.

Thin views: shape checks here, everything else in ``cases.services.intake``.
Errors come back as ``400`` with a message per field (the applicant's fields
nested under ``applicant``), a state conflict as ``409``.
"""

from __future__ import annotations

from typing import Any

from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import parsers, permissions, serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from centres.models import Centre
from departments.constants import Role
from departments.roles import has_role
from onewindow.api_fields import TextField

from ..constants import CaseState, Channel, IdType, MaterialStatus
from ..exceptions import CaseError, ConcurrentTransitionError, InvalidTransitionError
from ..models import Case
from ..selectors.window import window_cases
from ..services.intake import (
    ApplicantInputError,
    ChecklistEntry,
    IntakeInputError,
    UploadError,
    case_checklist,
    case_intake_submit,
    case_material_upload,
    intake_start,
)
from ..services.intake.centres import CentreRefusedError
from ..services.overrides import OVERRIDE_REASON_MAX_LENGTH

APPLICANT_FIELDS = {"id_type", "id_number", "name", "phone", "address", "override_reason"}


class IsWindowStaff(permissions.BasePermission):
    """Clerks and village agents (and administrators) take applications in."""

    message = _("只有窗口人员或代办员可以受理申请。")

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_role(request.user, Role.CLERK, Role.AGENT)


class KeepRawNameMultiPartParser(parsers.MultiPartParser):
    """Django cuts an uploaded file's name to its base; keep what was sent, so a
    name with path parts is refused with a message instead of silently trimmed."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        sent_names: list[str] = []

        class Recording(DjangoMultiPartParser):
            def sanitize_file_name(self, file_name: str) -> str | None:
                sent_names.append(file_name)
                return super().sanitize_file_name(file_name)

        try:
            parser = Recording(
                meta, stream, request.upload_handlers, parser_context.get("encoding", "utf-8")
            )
            data, files = parser.parse()
        except MultiPartParserError as error:
            raise ParseError(f"Multipart form parse error - {error}") from error
        for uploaded in files.values():
            for sent in sent_names:
                if DjangoMultiPartParser.sanitize_file_name(parser, sent) == uploaded.name:
                    uploaded.sent_name = sent
                    break
        return parsers.DataAndFiles(data, files)


# --- shapes ------------------------------------------------------------------------------


class ApplicantInSerializer(serializers.Serializer):
    id_type = serializers.ChoiceField(choices=IdType.choices)
    id_number = TextField(max_length=30)
    name = TextField(max_length=200, required=False, allow_blank=True, default="")
    phone = TextField(max_length=20, required=False, allow_blank=True, default="")
    address = TextField(max_length=300, required=False, allow_blank=True, default="")
    # Not trimmed: the service tells a reason of only spaces from none at all.
    override_reason = TextField(
        max_length=OVERRIDE_REASON_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        help_text=gettext_lazy(
            "name 或 address 与共享数据库（人口库、法人库）登记的不一致时必填：为什么不采用"
            "登记信息。改动将记录并显示给审批人员，本案事项不再秒批，证照仍载登记信息。"
            "不一致而未填写（或只有空格）时返回 400，错误在 applicant.name / "
            "applicant.address（或 applicant.override_reason）上，不建立办件。"
        ),
    )


class CaseCreateSerializer(serializers.Serializer):
    applicant = ApplicantInSerializer()
    items = serializers.ListField(
        child=TextField(max_length=40),
        required=False,
        default=list,
        help_text=gettext_lazy("事项代码；与 bundle 二选一，必须给出其中一个"),
    )
    bundle = TextField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("一件事代码；与 items 二选一"),
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.WINDOW)
    centre = TextField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy(
            "受理中心代码；为空时为调用者所在的中心。须在调用者所在中心及其下级中心之内。"
        ),
    )

    def validate_centre(self, code: str) -> Centre | None:
        if not code:
            return None
        centre = Centre.objects.filter(code=code, is_active=True).first()
        if centre is None:
            raise serializers.ValidationError(
                _("没有代码为 %(code)s 的在用服务中心。") % {"code": code}
            )
        return centre

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("items") and attrs.get("bundle"):
            raise serializers.ValidationError({"bundle": [_("请选择事项或一件事，不能同时选择。")]})
        if not attrs.get("items") and not attrs.get("bundle"):
            raise serializers.ValidationError({"items": [_("请至少选择一个事项或一件事。")]})
        return attrs


class ChecklistRowSerializer(serializers.Serializer):
    material_type = serializers.CharField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=MaterialStatus.choices)
    detail = serializers.CharField()
    required = serializers.BooleanField()
    items = serializers.ListField(child=serializers.CharField())
    evidence_declined = serializers.BooleanField()


class CaseIntakeSerializer(serializers.Serializer):
    tracking_no = serializers.CharField()
    state = serializers.ChoiceField(choices=CaseState.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    centre = serializers.CharField(allow_null=True, help_text="受理中心代码")
    due_date = serializers.DateField(allow_null=True)
    checklist = ChecklistRowSerializer(many=True)
    missing = serializers.ListField(child=serializers.CharField())
    form_data = serializers.DictField()


class MaterialUploadSerializer(serializers.Serializer):
    material_type = TextField(max_length=40)
    # A file part of the form (binary), not a text field.
    file = extend_schema_field(OpenApiTypes.BINARY)(
        serializers.FileField(allow_empty_file=True, use_url=False)
    )


class SubmitSerializer(serializers.Serializer):
    defects = serializers.DictField(
        child=TextField(max_length=200),
        required=False,
        default=dict,
        help_text="material type code → what is wrong with what was handed over",
    )


def case_body(case: Case, checklist: list[ChecklistEntry]) -> dict[str, Any]:
    """A case as the intake API answers it (and ``GET /api/v1/cases/<no>/``)."""
    return {
        "tracking_no": case.tracking_no,
        "state": case.state,
        "channel": case.channel,
        "centre": case.centre.code if case.centre_id else None,
        "due_date": case.due_date,
        "checklist": [entry.as_dict() for entry in checklist],
        "missing": [entry.material_type.code for entry in checklist if entry.is_missing],
        "form_data": case.form_data,
    }


def _error(error: CaseError) -> Response:
    if isinstance(error, ApplicantInputError):
        return Response({"applicant": {error.field: [str(error)]}}, status=400)
    if isinstance(error, IntakeInputError | UploadError | CentreRefusedError):
        return Response({error.field: [str(error)]}, status=400)
    if isinstance(error, InvalidTransitionError | ConcurrentTransitionError):
        return Response({"detail": str(error)}, status=409)
    return Response({"detail": str(error)}, status=400)


# Its body is the standard {"detail": ...} (onewindow/api_schema.py).
CONFLICT = OpenApiResponse(
    description=gettext_lazy("办件当前的状态不允许此操作（例如已提交，或已被他人处理）"),
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="same key → same case, never two",
)


class CaseCreateView(APIView):
    """`POST /api/v1/cases/`: open a case; the answer is its checklist."""

    permission_classes = [IsWindowStaff]
    # JSON only: the applicant is a nested object, which a form cannot carry.
    parser_classes = [parsers.JSONParser]

    @extend_schema(
        request=CaseCreateSerializer,
        responses={201: CaseIntakeSerializer, 409: CONFLICT},
        parameters=[IDEMPOTENCY_HEADER],
        # A company applies for an item of the demo catalogue (A002 有限责任公司设立登记);
        # the credit code's check character is right.
        examples=[
            OpenApiExample(
                "企业申请设立登记",
                value={
                    "applicant": {
                        "id_type": "uscc",
                        "id_number": "91510104MA6CX00013",
                        "name": "成都示例餐饮有限公司",
                        "phone": "13800138000",
                        "address": "四川省成都市锦江区红星路三段1号",
                    },
                    "items": ["A002"],
                    "channel": "window",
                },
                request_only=True,
            ),
            # The clerk types a name other than the registry's, and says why: the case
            # is opened, the change recorded, and its items wait for a reviewer.
            OpenApiExample(
                "名称与登记不一致并说明理由",
                value={
                    "applicant": {
                        "id_type": "uscc",
                        "id_number": "91510104MA6CX00013",
                        "name": "成都示例餐饮管理有限公司",
                        "override_reason": "企业已于上周核准更名，法人库尚未同步，申请人出示了核准通知书",
                    },
                    "items": ["A002"],
                    "channel": "window",
                },
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        shape = CaseCreateSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = shape.validated_data
        key = (request.headers.get("Idempotency-Key") or "").strip()[:100] or None
        replayed = bool(key) and Case.objects.filter(idempotency_key=key).exists()
        if data["channel"] == Channel.AGENT and not has_role(request.user, Role.AGENT):
            return Response({"channel": [_("只有代办员可以提交代办件。")]}, status=400)
        try:
            result = intake_start(
                id_type=data["applicant"]["id_type"],
                id_number=data["applicant"]["id_number"],
                name=data["applicant"]["name"],
                phone=data["applicant"]["phone"],
                address=data["applicant"]["address"],
                item_codes=data["items"],
                bundle_code=data["bundle"],
                channel=data["channel"],
                user=request.user,
                idempotency_key=key,
                applicant_present=data["channel"] == Channel.WINDOW,
                override_reason=data["applicant"]["override_reason"],
                centre=data["centre"],
            )
        except CaseError as error:
            return _error(error)
        response = Response(
            case_body(result.case, result.checklist), status=status.HTTP_201_CREATED
        )
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response


def _case(tracking_no: str, user: Any) -> Case:
    """A case this user may open (``window_cases``); any other answers 404, as a number
    that does not exist."""
    return get_object_or_404(
        window_cases(user=user).select_related("applicant", "centre"), tracking_no=tracking_no
    )


class CaseMaterialUploadView(APIView):
    """`POST /api/v1/cases/<tracking_no>/materials/`: one scan; the answer is the checklist."""

    permission_classes = [IsWindowStaff]
    parser_classes = [KeepRawNameMultiPartParser, parsers.FormParser]

    @extend_schema(
        request={"multipart/form-data": MaterialUploadSerializer},
        responses={200: CaseIntakeSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, tracking_no: str) -> Response:
        case = _case(tracking_no, request.user)
        shape = MaterialUploadSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        upload = shape.validated_data["file"]
        try:
            case_material_upload(
                case=case,
                material_type_code=shape.validated_data["material_type"],
                file=upload,
                actor=request.user,
            )
        except CaseError as error:
            return _error(error)
        case.refresh_from_db()
        return Response(case_body(case, case_checklist(case=case)))


class CaseSubmitView(APIView):
    """`POST /api/v1/cases/<tracking_no>/submit/`: accepted and dispatched, or the one-time
    notice with the complete ``missing`` list (state ``PENDING_MATERIALS``)."""

    permission_classes = [IsWindowStaff]
    # JSON only: the defects are an object, which a form cannot carry.
    parser_classes = [parsers.JSONParser]

    @extend_schema(request=SubmitSerializer, responses={200: CaseIntakeSerializer, 409: CONFLICT})
    def post(self, request: Request, tracking_no: str) -> Response:
        case = _case(tracking_no, request.user)
        shape = SubmitSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        try:
            result = case_intake_submit(
                case=case, user=request.user, defects=shape.validated_data["defects"]
            )
        except CaseError as error:
            return _error(error)
        case = Case.objects.get(pk=result.case.pk)
        body = case_body(case, result.checklist)
        notice = case.events.filter(name="request_materials").order_by("-created_at").first()
        if case.state == CaseState.PENDING_MATERIALS and notice is not None:
            body["missing"] = notice.data.get("missing", [])
            body["notice"] = notice.data.get("entries", [])
        return Response(body)
