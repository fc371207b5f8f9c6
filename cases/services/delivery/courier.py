"""Results sent by courier instead of a second trip: create the parcel, follow its status.

A clerk creates the ``Delivery`` when the result exists (case ``ISSUED``); the
case moves to ``IN_DELIVERY`` in the same transaction and the courier company's
order goes out after commit (``booking.py``, task ``cases.book_delivery``). Status then comes from
the courier's signed webhook, or from a clerk: shipped, delivered (only with
who signed and when), failed or returned. A failed or returned parcel puts the
case back in the window queue (``ISSUED``): the certificates, the parcel row and
its history stay, and the clerk can send it again or hand it over at the window.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ...constants import (
    DELIVERY_ACTIVE_STATUSES,
    DeliveryStatus,
    EventKind,
)
from ...couriers.waybills import validate_waybill
from ...exceptions import DeliveryInputError, DeliveryStateError
from ...models import Case, CaseEvent, Delivery
from ..transitions import run_transition
from .booking import publish_booking

# Mainland mobile numbers, and landlines with their area code (010-12345678).
PHONE_PATTERN = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
POSTAL_CODE_PATTERN = re.compile(r"^[0-9]{6}$")
ADDRESS_LIMITS = {"province": 50, "city": 50, "district": 50, "street": 100, "detail": 300}
RECIPIENT_MAX_LENGTH = 100
# How a parcel's status may move. Delivered and returned are final; a failed
# parcel may still come back to the window (returned).
DELIVERY_STATUS_MOVES: dict[str, set[str]] = {
    DeliveryStatus.CREATED: {
        DeliveryStatus.SHIPPED,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
        DeliveryStatus.RETURNED,
    },
    DeliveryStatus.SHIPPED: {
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
        DeliveryStatus.RETURNED,
    },
    DeliveryStatus.FAILED: {DeliveryStatus.RETURNED},
    DeliveryStatus.DELIVERED: set(),
    DeliveryStatus.RETURNED: set(),
}


def _clean(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _validate_parcel(
    *,
    courier: str,
    waybill: str,
    recipient: str,
    phone: str,
    province: str,
    city: str,
    district: str,
    street: str,
    detail: str,
    postal_code: str,
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The cleaned fields and every error at once, so the clerk fixes everything in one go."""
    errors: dict[str, list[str]] = {}
    cleaned = {
        "courier": _clean(courier).upper(),
        "recipient": _clean(recipient),
        "phone": re.sub(r"\s", "", _clean(phone)),
        "province": _clean(province),
        "city": _clean(city),
        "district": _clean(district),
        "street": _clean(street),
        "detail": _clean(detail),
        "postal_code": _clean(postal_code),
    }
    try:
        cleaned["waybill"] = validate_waybill(courier=cleaned["courier"], waybill=_clean(waybill))
    except ValidationError as error:
        field = "courier" if error.code == "courier_unknown" else "waybill"
        errors[field] = list(error.messages)
    if not cleaned["recipient"]:
        errors["recipient"] = [_("请填写收件人姓名。")]
    elif len(cleaned["recipient"]) > RECIPIENT_MAX_LENGTH:
        errors["recipient"] = [_("收件人姓名最多100个字。")]
    if not PHONE_PATTERN.match(cleaned["phone"]):
        errors["phone"] = [
            _(
                "收件电话「%(phone)s」无效：请填写11位手机号（如 13800138000）或带区号的固话（如 028-12345678）。"
            )
            % {"phone": cleaned["phone"]}
        ]
    required = {
        "province": _("请填写省（自治区、直辖市）。"),
        "city": _("请填写市（州、盟）。"),
        "district": _("请填写区县。"),
        "detail": _("请填写详细地址（门牌号、楼栋、房号）。"),
    }
    for field, message in required.items():
        if not cleaned[field]:
            errors[f"address.{field}"] = [message]
    for field, limit in ADDRESS_LIMITS.items():
        if len(cleaned[field]) > limit:
            errors[f"address.{field}"] = [
                _("地址中的「%(part)s」最多%(limit)s个字。")
                % {
                    "part": str(Delivery._meta.get_field(_model_field(field)).verbose_name),
                    "limit": limit,
                }
            ]
    if cleaned["postal_code"] and not POSTAL_CODE_PATTERN.match(cleaned["postal_code"]):
        errors["address.postal_code"] = [_("邮编应为6位数字。")]
    return cleaned, errors


def _model_field(address_part: str) -> str:
    return "street_address" if address_part == "detail" else address_part


def _history_entry(
    *, status: str, at: dt.datetime, source: str, note: str = "", event_id: str = ""
) -> dict[str, str]:
    entry = {"status": status, "at": at.isoformat(), "source": source}
    if note:
        entry["note"] = note
    if event_id:
        entry["event_id"] = event_id
    return entry


def delivery_create(
    *,
    case: Case,
    actor: Any,
    courier: str,
    waybill: str,
    recipient: str,
    phone: str,
    province: str,
    city: str,
    district: str,
    detail: str,
    street: str = "",
    postal_code: str = "",
) -> tuple[Delivery, bool]:
    """The clerk hands the result to a courier: the case leaves the window queue (``IN_DELIVERY``).

    Returns ``(delivery, created)``. Sending the same courier and waybill for the
    same case again returns the parcel already created (a double-click makes one
    parcel). Bad input changes nothing and names every wrong field.
    """
    cleaned, errors = _validate_parcel(
        courier=courier,
        waybill=waybill,
        recipient=recipient,
        phone=phone,
        province=province,
        city=city,
        district=district,
        street=street,
        detail=detail,
        postal_code=postal_code,
    )
    if errors:
        raise DeliveryInputError(errors)
    existing = (
        Delivery.objects.filter(courier=cleaned["courier"], waybill=cleaned["waybill"])
        .select_related("case")
        .first()
    )
    if existing is not None:
        if existing.case_id == case.pk and existing.status in DELIVERY_ACTIVE_STATUSES:
            return existing, False
        raise DeliveryInputError(
            {
                "waybill": [
                    _("运单号 %(waybill)s 已用于办件 %(tracking_no)s，请核对面单。")
                    % {"waybill": cleaned["waybill"], "tracking_no": existing.case.tracking_no}
                ]
            }
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            case = run_transition(
                case,
                "ship",
                actor=actor,
                event_data={"courier": cleaned["courier"], "waybill": cleaned["waybill"]},
            )
            delivery = Delivery.objects.create(
                case=case,
                courier=cleaned["courier"],
                waybill=cleaned["waybill"],
                recipient=cleaned["recipient"],
                phone=cleaned["phone"],
                province=cleaned["province"],
                city=cleaned["city"],
                district=cleaned["district"],
                street=cleaned["street"],
                street_address=cleaned["detail"],
                postal_code=cleaned["postal_code"],
                created_by=actor,
                created_at=now,
                history=[_history_entry(status=DeliveryStatus.CREATED, at=now, source="window")],
            )
            delivery_id = delivery.pk
            transaction.on_commit(lambda: publish_booking(delivery_id))
    except IntegrityError:
        # Another clerk used the same waybill at the same moment.
        raise DeliveryInputError(
            {"waybill": [_("运单号 %(waybill)s 刚被使用，请核对面单。") % cleaned]}
        ) from None
    return delivery, True


def delivery_record_status(
    *,
    delivery: Delivery,
    status: str,
    occurred_at: dt.datetime | None = None,
    signed_by: str = "",
    reason: str = "",
    actor: Any = None,
    actor_label: str = "",
    source: str = "window",
    event_id: str = "",
) -> Delivery:
    """The parcel's new status, from the courier's webhook or a clerk, and what it means for the case.

    * shipped: the courier has it; the case timeline says so.
    * delivered: only with who signed for it (``signed_by``) and when
      (``occurred_at``); the case closes.
    * failed / returned: the case goes back to the window queue (``ISSUED``),
      nothing lost; the clerk sends it again or hands it over at the window.
    A move the parcel cannot make (e.g. failed after delivered) changes nothing.
    """
    errors: dict[str, list[str]] = {}
    if status not in DELIVERY_STATUS_MOVES or status == DeliveryStatus.CREATED:
        errors["status"] = [
            _("寄递状态「%(status)s」无效，可选：shipped、delivered、failed、returned。")
            % {"status": status}
        ]
    signed_by = _clean(signed_by)
    reason = _clean(reason)[:300]
    if status == DeliveryStatus.DELIVERED:
        if not signed_by:
            errors["signed_by"] = [_("签收必须注明签收人。")]
        elif len(signed_by) > 100:
            errors["signed_by"] = [_("签收人姓名最多100个字。")]
        if occurred_at is None:
            errors["signed_at"] = [_("签收必须注明签收时间。")]
    if occurred_at is not None and occurred_at > timezone.now() + dt.timedelta(minutes=10):
        errors["occurred_at"] = [_("时间不能晚于当前时间。")]
    if errors:
        raise DeliveryInputError(errors)
    at = occurred_at or timezone.now()
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().select_related("case").get(pk=delivery.pk)
        if status not in DELIVERY_STATUS_MOVES[locked.status]:
            raise DeliveryStateError(
                _("运单 %(waybill)s 当前为「%(current)s」，不能改为「%(wanted)s」。")
                % {
                    "waybill": locked.waybill,
                    "current": locked.get_status_display(),
                    "wanted": DeliveryStatus(status).label,
                }
            )
        was_active = locked.status in DELIVERY_ACTIVE_STATUSES
        locked.status = status
        locked.history = [
            *locked.history,
            _history_entry(status=status, at=at, source=source, note=reason, event_id=event_id),
        ]
        update_fields = ["status", "history", "updated_at"]
        if status == DeliveryStatus.DELIVERED:
            locked.signed_by = signed_by
            locked.delivered_at = at
            update_fields += ["signed_by", "delivered_at"]
        locked.save(update_fields=update_fields)
        event_data = {"waybill": locked.waybill, "courier": locked.courier, "status": status}
        case = locked.case
        if status == DeliveryStatus.DELIVERED:
            run_transition(
                case,
                "deliver",
                actor=actor,
                actor_label=actor_label,
                event_data={**event_data, "signed_by": signed_by, "signed_at": at.isoformat()},
            )
        elif status in (DeliveryStatus.FAILED, DeliveryStatus.RETURNED) and was_active:
            run_transition(
                case,
                "return_to_window",
                actor=actor,
                actor_label=actor_label,
                note=reason,
                event_data=event_data,
            )
        else:
            CaseEvent.objects.create(
                case=case,
                kind=EventKind.NOTE,
                name=f"delivery_{status}",
                actor=actor,
                actor_label=actor_label if actor is None else "",
                note=reason or str(DeliveryStatus(status).label),
                data=event_data,
            )
    return locked


def delivery_mark_shipped(
    *, delivery: Delivery, occurred_at: dt.datetime | None = None, actor: Any = None
) -> Delivery:
    """The courier picked the parcel up (揽收)."""
    return delivery_record_status(
        delivery=delivery, status=DeliveryStatus.SHIPPED, occurred_at=occurred_at, actor=actor
    )


def delivery_mark_delivered(
    *, delivery: Delivery, signed_by: str, signed_at: dt.datetime | None, actor: Any = None
) -> Delivery:
    """Signed for by ``signed_by`` at ``signed_at``: the case closes without a second visit."""
    return delivery_record_status(
        delivery=delivery,
        status=DeliveryStatus.DELIVERED,
        occurred_at=signed_at,
        signed_by=signed_by,
        actor=actor,
    )


def delivery_mark_failed(*, delivery: Delivery, reason: str = "", actor: Any = None) -> Delivery:
    """The courier could not deliver: the case is back in the window queue."""
    return delivery_record_status(
        delivery=delivery, status=DeliveryStatus.FAILED, reason=reason, actor=actor
    )


def delivery_mark_returned(*, delivery: Delivery, reason: str = "", actor: Any = None) -> Delivery:
    """The parcel came back to the window: the case is (or stays) in the window queue."""
    return delivery_record_status(
        delivery=delivery, status=DeliveryStatus.RETURNED, reason=reason, actor=actor
    )
