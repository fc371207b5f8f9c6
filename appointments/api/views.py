"""The appointments API (issue 17).

``GET centres/<code>/slots/?queue=&date=`` lists a queue's slots of a day (public, like
the portal's picker; throttled per address). ``POST appointments/`` books a slot for the
person in front of a clerk or village agent, at a centre of the caller's part of the
network; ``DELETE appointments/<no>/`` cancels one of that part of the network.

Who books: staff only. A citizen books in the portal, signed in with their one-time code;
the API's callers are window systems and agents' tablets with a staff token, booking for
the person they serve (channel ``window``, or ``agent`` for a village agent).

Thin views over ``appointments.services``. A full slot answers 409, every other refusal
400 with the message on its field; a centre or appointment outside the caller's scope
answers as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.intake import IsWindowStaff
from cases.constants import IdType
from centres.models import Centre, Queue
from centres.scope import centres_in_scope
from departments.roles import is_village_agent
from departments.throttles import CatalogueThrottle
from onewindow.api_fields import TextField

from ..constants import AppointmentChannel
from ..exceptions import AppointmentError, SlotFullError
from ..models import Appointment
from ..selectors import bookable_queues, window_centre_get
from ..services.booking import appointment_book_for, appointment_cancel
from ..services.slots import slot_rule_for, slots_for

# The service's fields that are the request's own; any other is the applicant's.
TOP_FIELDS = {"centre": "centre", "queue": "queue", "day": "start", "start": "start"}


def _aware(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


# --- slots ---------------------------------------------------------------------------------


class SlotQuerySerializer(serializers.Serializer):
    queue = TextField(max_length=1, help_text=gettext_lazy("队列代码"))
    date = serializers.DateField(help_text=gettext_lazy("日期，例如 2026-09-29"))

    def validate_queue(self, code: str) -> Queue:
        centre = self.context["centre"]
        queue = bookable_queues(centre=centre).filter(code=code).first()
        if queue is None:
            raise serializers.ValidationError(
                _("%(centre)s 没有这个队列。") % {"centre": centre.name}
            )
        return queue

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        today = timezone.localdate()
        if attrs["date"] < today:
            raise serializers.ValidationError({"date": [_("不能预约已经过去的日期。")]})
        rule = slot_rule_for(queue=attrs["queue"])
        last = today + dt.timedelta(days=rule.days_ahead)
        if attrs["date"] > last:
            raise serializers.ValidationError(
                {
                    "date": [
                        _("最多可提前 %(days)d 天预约，最晚可约到 %(last)s。")
                        % {"days": rule.days_ahead, "last": last.isoformat()}
                    ]
                }
            )
        return attrs


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text=gettext_lazy("时段开始（预约时原样提交）"))
    end = serializers.DateTimeField()
    capacity = serializers.IntegerField(help_text=gettext_lazy("可约人数"))
    booked = serializers.IntegerField(help_text=gettext_lazy("已约人数"))


def _public_centre(code: str) -> Centre:
    centre = Centre.objects.filter(code=code, is_active=True).first()
    if centre is None:
        raise Http404(_("没有代码为 %(code)s 的在用服务中心。") % {"code": code})
    return centre


class SlotListView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [CatalogueThrottle]

    @extend_schema(
        tags=["appointments"],
        summary=gettext_lazy("某队列某天的预约时段（闭馆日为空）"),
        parameters=[
            OpenApiParameter("queue", str, required=True, description=gettext_lazy("队列代码")),
            OpenApiParameter(
                "date",
                {"type": "string", "format": "date"},
                required=True,
                description=gettext_lazy("日期：今天至可预约的最后一天"),
            ),
        ],
        responses={
            200: SlotSerializer(many=True),
            400: OpenApiResponse(
                description=gettext_lazy("缺少或无效的 queue、date，或日期不在可预约的范围内")
            ),
            404: OpenApiResponse(description=gettext_lazy("没有该服务中心")),
        },
    )
    def get(self, request: Request, code: str) -> Response:
        centre = _public_centre(code)
        query = SlotQuerySerializer(data=request.query_params, context={"centre": centre})
        query.is_valid(raise_exception=True)
        slots = slots_for(
            centre=centre, queue=query.validated_data["queue"], day=query.validated_data["date"]
        )
        body = [
            {
                "start": _aware(slot.day, slot.start),
                "end": _aware(slot.day, slot.end),
                "capacity": slot.capacity,
                "booked": slot.booked,
            }
            for slot in slots
        ]
        return Response(SlotSerializer(body, many=True).data)


# --- booking -------------------------------------------------------------------------------


class BookingApplicantSerializer(serializers.Serializer):
    id_type = serializers.ChoiceField(choices=IdType.choices)
    id_number = TextField(max_length=30)
    name = TextField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("未登记过的申请人必填"),
    )
    phone = TextField(max_length=20, required=False, allow_blank=True, default="")


class BookingSerializer(serializers.Serializer):
    centre = TextField(
        max_length=20, help_text=gettext_lazy("服务中心代码（调用者所在中心或其下级）")
    )
    queue = TextField(max_length=1, help_text=gettext_lazy("队列代码"))
    start = serializers.DateTimeField(
        help_text=gettext_lazy("时段开始，即 GET /api/v1/centres/{code}/slots/ 的 start")
    )
    applicant = BookingApplicantSerializer()


class BookedSerializer(serializers.Serializer):
    appointment_no = serializers.CharField(help_text=gettext_lazy("预约号，签到时出示"))


def _refusal(error: AppointmentError) -> Response:
    if isinstance(error, SlotFullError):
        return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
    if error.field is None:
        return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
    if error.field in TOP_FIELDS:
        return Response({TOP_FIELDS[error.field]: [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
    return Response({"applicant": {error.field: [str(error)]}}, status=status.HTTP_400_BAD_REQUEST)


def _booking_place(*, user: Any, centre_code: str, queue_code: str) -> tuple[Centre, Queue]:
    """The centre (in the caller's scope) and its queue the codes name, or the refusal."""
    centre = window_centre_get(user=user, code=centre_code)
    if centre is None:
        raise AppointmentError(_("没有这个服务中心，或它不接受预约。"), field="centre")
    queue = Queue.objects.filter(centre=centre, code=queue_code).first()
    if queue is None:
        raise AppointmentError(
            _("%(centre)s 没有这个队列。") % {"centre": centre.name}, field="queue"
        )
    return centre, queue


class AppointmentCreateView(APIView):
    permission_classes = [IsAuthenticated, IsWindowStaff]
    # JSON only: the applicant is a nested object, which a form cannot carry.
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["appointments"],
        summary=gettext_lazy("窗口人员或代办员为申请人预约时段"),
        request=BookingSerializer,
        responses={
            201: BookedSerializer,
            400: OpenApiResponse(
                description=gettext_lazy(
                    "输入有误或不能预约（时段已过、不在营业时间、同一人当天同一队列已有预约……）："
                    "说明在对应字段上，未预约"
                )
            ),
            409: OpenApiResponse(description=gettext_lazy("时段已约满")),
        },
    )
    def post(self, request: Request) -> Response:
        shape = BookingSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = shape.validated_data
        start = timezone.localtime(data["start"])
        try:
            centre, queue = _booking_place(
                user=request.user, centre_code=data["centre"], queue_code=data["queue"]
            )
            appointment = appointment_book_for(
                id_type=data["applicant"]["id_type"],
                id_number=data["applicant"]["id_number"],
                name=data["applicant"]["name"],
                phone=data["applicant"]["phone"],
                centre=centre,
                queue=queue,
                day=start.date(),
                start=start.time(),
                booked_by=request.user,
                channel=AppointmentChannel.AGENT
                if is_village_agent(request.user)
                else AppointmentChannel.WINDOW,
            )
        except AppointmentError as error:
            return _refusal(error)
        return Response({"appointment_no": appointment.number}, status=status.HTTP_201_CREATED)


class AppointmentDetailView(APIView):
    permission_classes = [IsAuthenticated, IsWindowStaff]

    @extend_schema(
        tags=["appointments"],
        summary=gettext_lazy("取消预约，名额退回时段"),
        responses={
            204: OpenApiResponse(description=gettext_lazy("已取消")),
            404: OpenApiResponse(
                description=gettext_lazy("没有该预约，或不在调用者所在中心及其下级中心")
            ),
            409: OpenApiResponse(
                description=gettext_lazy("该预约已取消、已签到或已爽约，或时段已经开始")
            ),
        },
    )
    def delete(self, request: Request, number: str) -> Response:
        appointments = Appointment.objects.filter(
            number=number, centre__in=centres_in_scope(request.user)
        )
        if is_village_agent(request.user):
            # An agent follows the bookings it made, as it does its cases.
            appointments = appointments.filter(booked_by=request.user)
        appointment = appointments.first()
        if appointment is None:
            raise Http404(_("未找到该预约。"))
        try:
            appointment_cancel(appointment=appointment)
        except AppointmentError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)
