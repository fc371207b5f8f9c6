"""The hall API (issue 17): ``POST centres/<code>/tickets/`` takes a ticket (public,
throttled per address), ``POST centres/<code>/call-next/`` calls the next ticket to a
window (a clerk of that centre, token), ``GET centres/<code>/display/`` is the display's
board (public).

Thin views over ``hall.services`` and ``hall.selectors``. A centre that does not exist, a
window that is not the caller's centre's, answer 404 alike; a refused take 400 with the
service's message on the field.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from centres.models import Centre, Queue, ServiceWindow
from departments.constants import Role
from departments.identifiers import normalise_identifier, validate_resident_id
from departments.roles import has_role
from onewindow.api_fields import TextField

from ..constants import OPEN_STATES, TicketPriority
from ..exceptions import OutOfScopeError, TicketError
from ..models import Ticket
from ..selectors import (
    centre_public_get,
    centre_queues,
    display_board,
    ticket_wait,
    windows_for_clerk,
)
from ..services.calling import ticket_call_next
from ..services.tickets import ticket_take
from .throttles import TicketTakeThrottle

# What a person may claim at the hall; the appointment priority comes from checking in.
HALL_PRIORITIES = [TicketPriority.NONE, TicketPriority.ELDERLY, TicketPriority.DISABLED]


def _centre(code: str) -> Centre:
    centre = centre_public_get(code=code)
    if centre is None:
        raise Http404(_("没有代码为 %(code)s 的在用服务中心。") % {"code": code})
    return centre


# --- take a ticket -------------------------------------------------------------------------


class TicketTakeSerializer(serializers.Serializer):
    queue = TextField(max_length=1, help_text=gettext_lazy("队列代码（见 GET /api/v1/centres/）"))
    id_number = TextField(
        max_length=24,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy(
            "居民身份证号码（选填）；填写后同一人在同一队列当天只能有一个未办结的号"
        ),
    )
    priority = serializers.ChoiceField(
        choices=[(value, TicketPriority(value).label) for value in HALL_PRIORITIES],
        default=TicketPriority.NONE,
        help_text=gettext_lazy("优先类别；预约优先号由预约签到产生"),
    )

    def validate_queue(self, code: str) -> Queue:
        queue = centre_queues(centre=self.context["centre"]).filter(code=code).first()
        if queue is None:
            raise serializers.ValidationError(
                _("%(centre)s没有代码为 %(code)s 的在用队列。")
                % {"centre": self.context["centre"].name, "code": code}
            )
        return queue

    def validate_id_number(self, raw: str) -> str:
        number = normalise_identifier(raw)
        if number:
            try:
                validate_resident_id(number)
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.messages) from None
        return number


class TicketTakenSerializer(serializers.Serializer):
    number = serializers.CharField(help_text=gettext_lazy("号码，例如 A017"))
    queue = serializers.CharField(help_text=gettext_lazy("队列代码"))
    position = serializers.IntegerField(help_text=gettext_lazy("前面还有几人等候"))
    estimated_wait_minutes = serializers.IntegerField(help_text=gettext_lazy("预计等候分钟数"))


class TicketTakeView(APIView):
    """A citizen's phone or app takes a number, as at the kiosk."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [TicketTakeThrottle]

    @extend_schema(
        tags=["hall"],
        summary=gettext_lazy("取号"),
        request=TicketTakeSerializer,
        responses={
            201: TicketTakenSerializer,
            400: OpenApiResponse(
                description=gettext_lazy(
                    "输入有误或不能取号（队列停用、不在营业时间、同一人已有未办结的号）："
                    "说明在对应字段上，未取号"
                )
            ),
            404: OpenApiResponse(description=gettext_lazy("没有该服务中心")),
        },
    )
    def post(self, request: Request, code: str) -> Response:
        centre = _centre(code)
        shape = TicketTakeSerializer(data=request.data, context={"centre": centre})
        shape.is_valid(raise_exception=True)
        data = shape.validated_data
        try:
            ticket = ticket_take(
                queue=data["queue"], priority=data["priority"], id_number=data["id_number"]
            )
        except TicketError as error:
            # The shapes are checked above: what is left is about the queue (closed,
            # inactive) or this person's open ticket in it.
            held = _holds_ticket(queue=data["queue"], id_number=data["id_number"])
            field = "id_number" if held else "queue"
            return Response({field: [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        wait = ticket_wait(ticket=ticket)
        body = {
            "number": ticket.number,
            "queue": data["queue"].code,
            "position": wait.position,
            "estimated_wait_minutes": wait.estimated_wait_minutes,
        }
        return Response(TicketTakenSerializer(body).data, status=status.HTTP_201_CREATED)


def _holds_ticket(*, queue: Queue, id_number: str) -> bool:
    """Whether the person already holds an open ticket of the queue today: the one refusal
    that is about the ID number once its shape is valid."""
    return bool(id_number) and (
        Ticket.objects.filter(
            queue=queue, day=timezone.localdate(), id_number=id_number, state__in=OPEN_STATES
        ).exists()
    )


# --- call next -----------------------------------------------------------------------------


class IsClerk(permissions.BasePermission):
    """Window clerks (and administrators) call tickets; agents and reviewers do not."""

    message = gettext_lazy("只有窗口人员可以叫号。")

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_role(request.user, Role.CLERK)


class CallNextSerializer(serializers.Serializer):
    window = TextField(
        max_length=5, help_text=gettext_lazy("窗口号（GET /api/v1/centres/ 的 windows.code）")
    )


class CalledSerializer(serializers.Serializer):
    number = serializers.CharField(help_text=gettext_lazy("被叫的号码"))
    queue = serializers.CharField(help_text=gettext_lazy("队列代码"))
    window = serializers.CharField(help_text=gettext_lazy("窗口号"))


def _clerk_window(*, user: Any, code: str, window_code: str) -> ServiceWindow:
    """The window ``window_code`` of centre ``code`` if the clerk may sit at it; any other
    (unknown centre or window, another centre's) answers 404 alike."""
    number = int(window_code) if window_code.isascii() and window_code.isdigit() else None
    window = (
        windows_for_clerk(user=user).filter(centre__code=code, number=number).first()
        if number is not None
        else None
    )
    if window is None:
        raise Http404(_("没有这个窗口或号码。"))
    return window


class CallNextView(APIView):
    """The clerk's "叫下一位" from a window system or a pager, with a token."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [permissions.IsAuthenticated, IsClerk]

    @extend_schema(
        tags=["hall"],
        summary=gettext_lazy("叫下一位：该窗口队列中下一个等候的号"),
        request=CallNextSerializer,
        responses={
            200: CalledSerializer,
            204: OpenApiResponse(description=gettext_lazy("没有人在等候")),
            400: OpenApiResponse(
                description=gettext_lazy("输入有误，或该窗口停用、未设置服务队列；未叫号")
            ),
            404: OpenApiResponse(
                description=gettext_lazy("没有该服务中心或窗口，或不是调用者所在中心的窗口")
            ),
        },
    )
    def post(self, request: Request, code: str) -> Response:
        shape = CallNextSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        window = _clerk_window(
            user=request.user, code=code, window_code=shape.validated_data["window"]
        )
        try:
            ticket = ticket_call_next(window=window, user=request.user)
        except OutOfScopeError as error:
            raise Http404(str(error)) from None
        except TicketError as error:
            return Response({"window": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        if ticket is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        body = {"number": ticket.number, "queue": ticket.queue.code, "window": str(window.number)}
        return Response(CalledSerializer(body).data)


# --- the display ---------------------------------------------------------------------------


class CallShownSerializer(serializers.Serializer):
    number = serializers.CharField()
    window = serializers.CharField(help_text=gettext_lazy("窗口号"))
    at = serializers.DateTimeField(help_text=gettext_lazy("叫号时间"))


class DisplayBoardSerializer(serializers.Serializer):
    calls = CallShownSerializer(many=True, help_text=gettext_lazy("今天最近的叫号，最新的在前"))
    waiting = serializers.DictField(
        child=serializers.IntegerField(), help_text=gettext_lazy("队列代码 → 今天等候的人数")
    )


class DisplayView(APIView):
    """What the hall's display shows; public, like the screen on the wall. Not throttled:
    a display polls it about once a second, two queries each time."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=["hall"],
        summary=gettext_lazy("叫号屏：最近的叫号和各队列等候人数"),
        responses={
            200: DisplayBoardSerializer,
            404: OpenApiResponse(description=gettext_lazy("没有该服务中心")),
        },
    )
    def get(self, request: Request, code: str) -> Response:
        board = display_board(centre=_centre(code))
        body = {
            "calls": [
                {"number": call["number"], "window": str(call["window"]), "at": call["at"]}
                for call in board["calls"]
            ],
            "waiting": board["waiting"],
        }
        response = Response(body)
        response.headers["Cache-Control"] = "no-store"
        return response
