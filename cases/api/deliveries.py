"""Delivery API: the clerk sends a result by courier; courier companies report its status.

* ``POST /api/v1/cases/<tracking_no>/delivery/`` (clerk, token or session):
  ``{courier, waybill, recipient, phone, address: {province, city, district,
  street, detail, postal_code}}`` → ``201`` the parcel (``200`` if the same
  courier and waybill were already sent for this case). Wrong fields → ``400``
  with a message per field; a case not ready to send (not ``ISSUED``) → ``409``.
* ``POST /api/v1/deliveries/webhook/`` (courier companies, no token): signed
  with HMAC-SHA256, see ``cases.services.delivery.webhook`` for the headers.
  Unsigned or wrongly signed → ``401``; stale (replayed) or malformed → ``400``;
  unknown waybill → ``404``; a status the parcel cannot take → ``409``; the same
  event again → ``200`` with ``"duplicate": true`` and nothing changed.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from departments.constants import Role
from departments.identifiers import mask_name, mask_phone
from departments.roles import has_role
from onewindow.api_fields import TextField

from ..exceptions import (
    CaseError,
    ConcurrentTransitionError,
    DeliveryInputError,
    DeliveryNotFoundError,
    DeliveryStateError,
    InvalidTransitionError,
    TransitionPermissionError,
    WebhookAuthenticationError,
    WebhookReplayError,
)
from ..models import Delivery
from ..selectors.window import window_cases
from ..services.delivery import courier_webhook_receive, delivery_create
from ..services.delivery.webhook import COURIER_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER


class IsClerk(BasePermission):
    """Comprehensive-window clerks (and superusers) only."""

    message = _("只有综合窗口人员可以安排寄递。")

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_role(request.user, Role.CLERK)


class AddressSerializer(serializers.Serializer):
    province = TextField(allow_blank=True, required=False, default="")
    city = TextField(allow_blank=True, required=False, default="")
    district = TextField(allow_blank=True, required=False, default="")
    street = TextField(allow_blank=True, required=False, default="")
    detail = TextField(allow_blank=True, required=False, default="")
    postal_code = TextField(allow_blank=True, required=False, default="")


class DeliveryCreateSerializer(serializers.Serializer):
    """Shape only; the delivery service checks the content and says what is wrong."""

    courier = TextField(allow_blank=True)
    waybill = TextField(allow_blank=True)
    recipient = TextField(allow_blank=True)
    phone = TextField(allow_blank=True)
    address = AddressSerializer()


class DeliverySerializer(serializers.ModelSerializer):
    tracking_no = serializers.CharField(source="case.tracking_no")
    case_state = serializers.CharField(source="case.state")
    recipient = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = [
            "id",
            "tracking_no",
            "case_state",
            "courier",
            "waybill",
            "status",
            "recipient",
            "phone",
            "address",
            "booking_status",
            "signed_by",
            "delivered_at",
            "created_at",
        ]

    def get_recipient(self, delivery: Delivery) -> str:
        return mask_name(delivery.recipient)

    def get_phone(self, delivery: Delivery) -> str:
        return mask_phone(delivery.phone)

    def get_address(self, delivery: Delivery) -> dict[str, str]:
        return {
            "province": delivery.province,
            "city": delivery.city,
            "district": delivery.district,
            "street": delivery.street,
            "detail": delivery.street_address,
            "postal_code": delivery.postal_code,
        }


def _field_errors(errors: dict[str, list[str]]) -> dict[str, Any]:
    """``address.city`` → ``{"address": {"city": [...]}}``, as DRF nests serializer errors."""
    shaped: dict[str, Any] = {}
    for field, messages in errors.items():
        if "." in field:
            outer, inner = field.split(".", 1)
            shaped.setdefault(outer, {})[inner] = messages
        else:
            shaped[field] = messages
    return shaped


class CaseDeliveryCreateView(APIView):
    permission_classes = [IsClerk]
    # JSON only: the address is a nested object, which a form cannot carry.
    parser_classes = [JSONParser]

    @extend_schema(
        request=DeliveryCreateSerializer,
        responses={
            201: DeliverySerializer,
            200: DeliverySerializer,
            409: OpenApiResponse(description=_("办件尚未出证（不是 ISSUED），不能寄递")),
        },
        # An EMS waybill with its right check digit (S10).
        examples=[
            OpenApiExample(
                "EMS 寄递",
                value={
                    "courier": "EMS",
                    "waybill": "EA123456785CN",
                    "recipient": "张三",
                    "phone": "13800138000",
                    "address": {
                        "province": "四川省",
                        "city": "成都市",
                        "district": "锦江区",
                        "street": "春熙路街道",
                        "detail": "红星路三段1号",
                        "postal_code": "610021",
                    },
                },
                request_only=True,
            )
        ],
        summary="寄递办件结果",
    )
    def post(self, request: Request, tracking_no: str) -> Response:
        case = get_object_or_404(window_cases(user=request.user), tracking_no=tracking_no)
        shape = DeliveryCreateSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = shape.validated_data
        try:
            delivery, created = delivery_create(
                case=case,
                actor=request.user,
                courier=data["courier"],
                waybill=data["waybill"],
                recipient=data["recipient"],
                phone=data["phone"],
                **{
                    "province": data["address"]["province"],
                    "city": data["address"]["city"],
                    "district": data["address"]["district"],
                    "street": data["address"]["street"],
                    "detail": data["address"]["detail"],
                    "postal_code": data["address"]["postal_code"],
                },
            )
        except DeliveryInputError as error:
            return Response(_field_errors(error.errors), status=status.HTTP_400_BAD_REQUEST)
        except TransitionPermissionError as error:
            return Response({"detail": str(error)}, status=status.HTTP_403_FORBIDDEN)
        except (InvalidTransitionError, ConcurrentTransitionError) as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        delivery = Delivery.objects.select_related("case").get(pk=delivery.pk)
        return Response(
            DeliverySerializer(delivery).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class CourierWebhookView(APIView):
    # Courier companies authenticate by signature, not by token or session.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    # The signed body is JSON (read raw, as signed: courier_webhook_receive).
    parser_classes = [JSONParser]

    @extend_schema(
        request=inline_serializer(
            "CourierWebhookEvent",
            {
                "event_id": serializers.CharField(),
                "waybill": serializers.CharField(),
                "status": serializers.ChoiceField(
                    choices=["shipped", "delivered", "failed", "returned"]
                ),
                "occurred_at": serializers.DateTimeField(),
                "signed_by": serializers.CharField(required=False),
                "signed_at": serializers.DateTimeField(required=False),
                "reason": serializers.CharField(required=False),
            },
        ),
        parameters=[
            OpenApiParameter(COURIER_HEADER, str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(TIMESTAMP_HEADER, str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(
                SIGNATURE_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=True,
                description='"sha256=" + hex HMAC-SHA256(secret, "<timestamp>." + raw body)',
            ),
        ],
        responses={
            200: inline_serializer(
                "CourierWebhookAnswer",
                {
                    "waybill": serializers.CharField(),
                    "status": serializers.CharField(),
                    "duplicate": serializers.BooleanField(),
                },
            ),
            400: OpenApiResponse(description=_("时间戳过期（重放）或内容格式有误")),
            401: OpenApiResponse(description=_("未签名或签名错误")),
            404: OpenApiResponse(description=_("未知的运单号")),
            409: OpenApiResponse(description=_("该邮件不能转入此状态")),
        },
        summary="快递状态回调",
    )
    def post(self, request: Request) -> Response:
        try:
            outcome = courier_webhook_receive(
                courier=request.headers.get(COURIER_HEADER, ""),
                timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
                signature=request.headers.get(SIGNATURE_HEADER, ""),
                body=request.body,
            )
        except WebhookAuthenticationError as error:
            return Response(
                {"detail": str(error)},
                status=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": f'HMAC-SHA256 header="{SIGNATURE_HEADER}"'},
            )
        except WebhookReplayError as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        except DeliveryInputError as error:
            return Response(error.errors, status=status.HTTP_400_BAD_REQUEST)
        except DeliveryNotFoundError as error:
            return Response({"detail": str(error)}, status=status.HTTP_404_NOT_FOUND)
        except (DeliveryStateError, CaseError) as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(
            {
                "waybill": outcome.delivery.waybill,
                "status": outcome.status,
                "duplicate": outcome.duplicate,
            }
        )
