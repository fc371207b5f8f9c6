"""The staff's case reads: ``GET /api/v1/cases/`` (a page of the caller's cases, newest
first, filtered by ``state`` and ``centre``) and ``GET /api/v1/cases/<tracking_no>/`` (one
case, as the intake API answers it: ``cases.api.intake.case_body``).

Scope is the window's (``window_cases``): a clerk or supervisor sees the cases of their
centre and every centre below it, a village agent those it submitted, the city all. A case
outside it answers 404, as one that does not exist. Reviewers and department systems read
their department's approvals instead (``/api/v1/approvals/``) and are refused here.

``POST /api/v1/cases/`` shares the list's path: ``CaseCollectionView`` is the intake's
``CaseCreateView`` with the list added, each method with its own permission.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from centres.models import Centre
from centres.scope import centre_in_scope, subtree_filter
from departments.constants import Role
from departments.roles import has_role

from ..constants import CaseState, Channel
from ..models import Case
from ..selectors.window import window_cases
from ..services.intake import case_checklist
from .approvals import ApprovalPagination
from .intake import CaseCreateView, CaseIntakeSerializer, IsWindowStaff, case_body

CASE_READER_ROLES = (Role.CLERK, Role.AGENT, Role.SUPERVISOR)


class MayReadWindowCases(permissions.BasePermission):
    """Window clerks, village agents and supervisors (and administrators) read the cases
    of their part of the network."""

    message = gettext_lazy("只有窗口人员、代办员或电子监察人员可以查看办件。")

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_role(request.user, *CASE_READER_ROLES)


class ReadOrIntake(permissions.BasePermission):
    """Reading for the case readers, opening a case for window staff only."""

    message = IsWindowStaff.message

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            self.message = MayReadWindowCases.message
            return MayReadWindowCases().has_permission(request, view)
        return IsWindowStaff().has_permission(request, view)


class CaseSummarySerializer(serializers.Serializer):
    tracking_no = serializers.CharField()
    state = serializers.ChoiceField(choices=CaseState.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    centre = serializers.CharField(
        source="centre.code", allow_null=True, default=None, help_text="受理中心代码"
    )
    items = serializers.SerializerMethodField(help_text=gettext_lazy("事项代码"))
    due_date = serializers.DateField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_items(self, case: Case) -> list[str]:
        return [item.code for item in case.items.all()]


def _values(request: Request, name: str) -> list[str]:
    return [
        part.strip() for value in request.query_params.getlist(name) for part in value.split(",")
    ]


def _states_filter(request: Request) -> list[str]:
    states = _values(request, "state")
    unknown = [state or _("（空）") for state in states if state not in CaseState.values]
    if unknown:
        raise ValidationError(
            {
                "state": [
                    _("未知状态：%(unknown)s。可用的状态：%(known)s。")
                    % {"unknown": "、".join(unknown), "known": "、".join(CaseState.values)}
                ]
            }
        )
    return states


def _centre_filter(request: Request) -> Centre | None:
    """The centre ``?centre=`` names if the caller may see it; one outside their scope is
    refused as unknown."""
    code = request.query_params.get("centre")
    if code is None:
        return None
    centre = Centre.objects.filter(code=code).first()
    if centre is None or not centre_in_scope(request.user, centre):
        raise ValidationError(
            {"centre": [_("没有代码为 %(code)s 的在用服务中心。") % {"code": code}]}
        )
    return centre


def cases_listed(*, request: Request) -> QuerySet[Case]:
    cases = window_cases(user=request.user)
    states = _states_filter(request)
    if states:
        cases = cases.filter(state__in=states)
    centre = _centre_filter(request)
    if centre is not None:
        cases = cases.filter(subtree_filter(centre.path))
    return cases.select_related("centre").prefetch_related("items").order_by("-created_at", "-pk")


LIST_SCHEMA = extend_schema(
    tags=["cases"],
    summary=gettext_lazy("调用者所在中心及其下级中心的办件（最新的在前）"),
    parameters=[
        OpenApiParameter(
            "state",
            {"type": "array", "items": {"type": "string", "enum": CaseState.values}, "minItems": 1},
            description=gettext_lazy("按状态筛选，可用逗号分隔多个"),
            style="form",
            explode=False,
        ),
        OpenApiParameter(
            "centre",
            {"type": "string", "pattern": "^[0-9A-Z]{2,20}$"},
            description=gettext_lazy(
                "受理中心代码：该中心及其下级中心的办件；须在调用者所在中心及其下级之内"
            ),
        ),
    ],
    responses={
        200: CaseSummarySerializer(many=True),
        400: OpenApiResponse(
            description=gettext_lazy(
                "未知的状态（state）、不在调用者范围内的中心（centre），或无效的页码、每页条数"
            )
        ),
    },
)


class CaseCollectionView(generics.ListAPIView, CaseCreateView):
    """``GET``: the page of cases; ``POST``: the intake's ``CaseCreateView``."""

    permission_classes = [permissions.IsAuthenticated, ReadOrIntake]
    serializer_class = CaseSummarySerializer
    pagination_class = ApprovalPagination

    def get_queryset(self) -> Any:
        return cases_listed(request=self.request)

    @LIST_SCHEMA
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class CaseDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated, MayReadWindowCases]

    @extend_schema(
        tags=["cases"],
        summary=gettext_lazy("一个办件：状态、受理中心、材料清单"),
        responses={
            200: CaseIntakeSerializer,
            404: OpenApiResponse(description=gettext_lazy("办件不存在或不在调用者的范围内")),
        },
    )
    def get(self, request: Request, tracking_no: str) -> Response:
        case = get_object_or_404(
            window_cases(user=request.user).select_related("applicant", "centre"),
            tracking_no=tracking_no,
        )
        return Response(case_body(case, case_checklist(case=case)))
