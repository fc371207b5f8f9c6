"""The rounds: listed and read by anyone, opened and closed by the lottery officer."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ...models import RuleSet
from ...services.errors import LotteryError
from ...services.rounds import round_close, round_create
from ..permissions import IsLotteryOfficer
from ..serializers import LotteryRoundCreateSerializer, LotteryRoundSerializer
from .common import TAGS, refusal_response, round_or_404, rounds_with_rule_set

# Rounds come monthly or so: the public list answers the newest ones, unpaginated.
ROUND_LIST_LIMIT = 100


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
        rounds = rounds_with_rule_set().order_by("-applications_open", "-id")[:ROUND_LIST_LIMIT]
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
            return refusal_response(error)
        return Response(
            LotteryRoundSerializer(rounds_with_rule_set().get(pk=round_.pk)).data,
            status=status.HTTP_201_CREATED,
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
        return Response(LotteryRoundSerializer(round_or_404(code)).data)


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
        closed = round_close(round_=round_or_404(code))
        return Response(LotteryRoundSerializer(rounds_with_rule_set().get(pk=closed.pk)).data)
