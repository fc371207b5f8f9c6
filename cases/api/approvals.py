"""Department systems' door to their approvals: the list, and the decision.

``GET /api/v1/approvals/?state=IN_REVIEW`` lists the caller's department's
approvals, most urgent first, paginated. ``POST /api/v1/approvals/<id>/decision/``
takes ``{decision, note, materials}`` and answers the approval as it is after the
decision. Another department's approval answers 404, bad input 400 with a
message per field (nothing changed), an approval no longer open to that
decision 409. Reviewers and ``department_system`` users act for their
department; superusers and supervisors may read every department's list.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from departments.constants import Role
from departments.roles import has_role
from onewindow.api_fields import TextField

from ..constants import ApprovalState, VerificationOutcome
from ..exceptions import (
    ConcurrentTransitionError,
    InvalidTransitionError,
    TransitionPermissionError,
)
from ..models import Approval
from ..selectors import DEPARTMENT_BOUND_ROLES, approval_queue, user_confined_department_id
from ..selectors.overrides import case_registry_overrides, registry_override_events
from ..services.decisions import ApprovalDecision, DecisionInvalidError, approval_decide
from ..services.review import DecisionReasonRequiredError

READER_ROLES = (*DEPARTMENT_BOUND_ROLES, Role.SUPERVISOR)


class MayReadApprovals(BasePermission):
    """Reviewers and department systems (their department), supervisors and superusers."""

    message = gettext_lazy("只有部门审批人员、部门业务系统和电子监察人员可以访问审批。")

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_role(request.user, *READER_ROLES)


def _whole_number(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() else None


class ApprovalPagination(PageNumberPagination):
    """Page and page size as asked, or 400 naming the parameter: DRF would quietly take
    page 1 for ``page=``, the default size for ``page_size=true`` and the maximum for
    ``page_size=1000``. A page past the end stays DRF's 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()  # the schema says a number: no ``page=last``

    def get_page_number(self, request: Request, paginator: Any) -> int:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        number = _whole_number(raw)
        if number is None or number < 1:
            raise ValidationError(
                {
                    self.page_query_param: [
                        _("页码 page 须为正整数，收到的是“%(value)s”。") % {"value": raw}
                    ]
                }
            )
        return number

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = _whole_number(raw)
        if size is None or not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("每页条数 page_size 须为 1 至 %(max)s 之间的整数，收到的是“%(value)s”。")
                        % {"max": self.max_page_size, "value": raw}
                    ]
                }
            )
        return size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(
                    minimum=1, maximum=self.max_page_size, default=self.page_size
                )
        return parameters


class CheckResultSerializer(serializers.Serializer):
    registry = serializers.CharField(help_text=gettext_lazy("共享数据库代码"))
    registry_name = serializers.CharField(required=False)
    outcome = serializers.ChoiceField(choices=VerificationOutcome.choices)
    passed = serializers.BooleanField()
    verification = serializers.IntegerField(
        required=False, allow_null=True, help_text=gettext_lazy("数据查询记录（Verification）编号")
    )


class RegistryOverrideSerializer(serializers.Serializer):
    """A registry-provided value of the case that intake replaced, with its reason."""

    at = serializers.DateTimeField()
    actor = serializers.CharField()
    field = serializers.CharField(
        help_text=gettext_lazy(
            "改动的字段：申请人的 name、address、legal_representative，或申请表字段"
        )
    )
    label = serializers.CharField()
    item = serializers.CharField(help_text=gettext_lazy("申请表字段所属事项代码；申请人信息为空"))
    registry = serializers.CharField(help_text=gettext_lazy("登记该值的共享数据库代码"))
    registry_value = serializers.CharField(
        help_text=gettext_lazy("共享数据库登记的值（证照以此为准）")
    )
    typed_value = serializers.CharField(help_text=gettext_lazy("受理时改填的值"))
    reason = serializers.CharField()


class ApprovalSerializer(serializers.ModelSerializer):
    tracking_no = serializers.CharField(source="case.tracking_no", read_only=True)
    item = serializers.CharField(
        source="item.code", read_only=True, help_text=gettext_lazy("事项代码")
    )
    item_name = serializers.CharField(source="item.name", read_only=True)
    department = serializers.CharField(source="department.code", read_only=True)
    checks = CheckResultSerializer(many=True, read_only=True)
    registry_overrides = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "受理时改动的共享数据登记信息（有则本案事项不秒批，须人工审查；证照仍载登记信息）。"
            "本部门以外的读者看到的个人信息已打码"
        )
    )

    class Meta:
        model = Approval
        fields = [
            "id",
            "tracking_no",
            "item",
            "item_name",
            "department",
            "state",
            "due_date",
            "sla_colour",
            "checks",
            "registry_overrides",
            "decided_at",
            "decision_note",
            "supplement_materials",
        ]
        read_only_fields = fields

    @extend_schema_field(RegistryOverrideSerializer(many=True))
    def get_registry_overrides(self, approval: Approval) -> list[dict[str, Any]]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        # The deciding department reads the values in full; a supervisor, masked.
        in_full = user is not None and user_confined_department_id(user) == approval.department_id
        return case_registry_overrides(
            case=approval.case, in_full=in_full, item_codes={approval.item.code}
        )


class DecisionSerializer(serializers.Serializer):
    """The shape of a decision; what it must contain for each kind is checked by the service."""

    decision = serializers.ChoiceField(choices=ApprovalDecision.choices)
    note = TextField(required=False, allow_blank=True, default="", max_length=2000)
    materials = serializers.ListField(
        child=TextField(max_length=40),
        required=False,
        default=list,
        help_text=gettext_lazy("要求补正的材料类型代码（decision 为 supplement 时必填）"),
    )


ERROR_RESPONSE = inline_serializer(
    name="ApprovalErrorResponse",
    fields={"detail": serializers.CharField(), "state": serializers.CharField(required=False)},
)


def _states_requested(request: Request) -> list[str]:
    states = [
        part.strip() for value in request.query_params.getlist("state") for part in value.split(",")
    ]
    # A blank one (``?state=``, ``?state=IN_REVIEW,``) is refused like any unknown state:
    # no filter is no ``state`` at all.
    unknown = [state or _("（空）") for state in states if state not in ApprovalState.values]
    if unknown:
        raise ValidationError(
            {
                "state": [
                    _("未知状态：%(unknown)s。可用的状态：%(known)s。")
                    % {"unknown": "、".join(unknown), "known": "、".join(ApprovalState.values)}
                ]
            }
        )
    return states


@extend_schema(
    tags=["approvals"],
    summary=gettext_lazy("本部门的审批（最紧急的在前）"),
    parameters=[
        OpenApiParameter(
            "state",
            {
                "type": "array",
                "items": {"type": "string", "enum": ApprovalState.values},
                "minItems": 1,
            },
            description=gettext_lazy(
                "按状态筛选，可用逗号分隔多个，例如 IN_REVIEW,SUPPLEMENT_REQUESTED"
            ),
            style="form",
            explode=False,
        )
    ],
    responses={
        200: ApprovalSerializer(many=True),
        400: OpenApiResponse(
            description=gettext_lazy(
                "未知的状态（state），或无效的页码（page）、每页条数（page_size）"
            )
        ),
    },
)
class ApprovalListView(generics.ListAPIView):
    serializer_class = ApprovalSerializer
    permission_classes = [IsAuthenticated, MayReadApprovals]
    pagination_class = ApprovalPagination

    def get_queryset(self) -> Any:
        return (
            approval_queue(
                department_id=user_confined_department_id(self.request.user),
                states=_states_requested(self.request),
            )
            .select_related("case__applicant")
            .prefetch_related(registry_override_events())
        )


class ApprovalDecisionView(APIView):
    permission_classes = [IsAuthenticated, MayReadApprovals]
    serializer_class = DecisionSerializer

    @extend_schema(
        tags=["approvals"],
        summary=gettext_lazy("对本部门的一项审批作出决定"),
        request=DecisionSerializer,
        responses={
            200: ApprovalSerializer,
            400: OpenApiResponse(
                description=gettext_lazy("输入有误：每个字段一条说明，未作任何改变")
            ),
            403: OpenApiResponse(ERROR_RESPONSE, description=gettext_lazy("无权作出此决定")),
            404: OpenApiResponse(
                ERROR_RESPONSE, description=gettext_lazy("审批不存在或不属于本部门")
            ),
            409: OpenApiResponse(
                ERROR_RESPONSE,
                description=gettext_lazy("审批已不处于可作此决定的状态（例如已被他人处理）"),
            ),
        },
        # Request bodies as the API takes them for an approval of an item that asks for a
        # lease contract (the demo catalogue's LEASE_CONTRACT: A002 有限责任公司设立登记,
        # A003 食品经营许可 and others).
        examples=[
            OpenApiExample(
                "准予",
                value={"decision": "approve", "note": "材料齐全，符合条件。"},
                request_only=True,
            ),
            OpenApiExample(
                "不予准予",
                value={"decision": "reject", "note": "经营场所不符合要求。"},
                request_only=True,
            ),
            OpenApiExample(
                "要求补正",
                value={
                    "decision": "supplement",
                    "note": "请补交住所的房屋租赁合同。",
                    "materials": ["LEASE_CONTRACT"],
                },
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        approval = (
            approval_queue(department_id=user_confined_department_id(request.user))
            .filter(pk=pk)
            .first()
        )
        if approval is None:
            raise Http404
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            approval = approval_decide(
                approval=approval, actor=request.user, **serializer.validated_data
            )
        except DecisionInvalidError as error:
            return Response(error.errors, status=status.HTTP_400_BAD_REQUEST)
        except DecisionReasonRequiredError as error:
            return Response({"note": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        except TransitionPermissionError as error:
            return Response({"detail": str(error)}, status=status.HTTP_403_FORBIDDEN)
        except (InvalidTransitionError, ConcurrentTransitionError) as error:
            current = Approval.objects.filter(pk=pk).values_list("state", flat=True).first()
            return Response(
                {"detail": str(error), "state": current}, status=status.HTTP_409_CONFLICT
            )
        fresh = approval_queue(department_id=None).get(pk=approval.pk)
        return Response(ApprovalSerializer(fresh, context={"request": request}).data)
