import datetime as dt

import pytest
from django.utils import timezone

from cases.constants import CaseState
from cases.services.transitions import run_transition
from citizens.sms import ConsoleSmsBackend, sms_backend
from notifications.models import Notification, NotificationPreference
from notifications.services.events import notifications_scan_events
from tests.factories import (
    ApplicantFactory,
    CaseFactory,
    DepartmentFactory,
    MaterialTypeFactory,
    ServiceItemFactory,
)

OWNER_ID = "110101199003071233"
OWNER_PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _notification_settings(settings):
    """Events count as settled at once, and no quiet hours unless a test sets them: the
    tests run at any hour of the day."""
    settings.NOTIFICATIONS_EVENT_SETTLE_SECONDS = 0
    settings.NOTIFICATIONS_QUIET_HOURS_START = ""
    settings.NOTIFICATIONS_QUIET_HOURS_END = ""
    settings.SMS_BACKEND = "console"
    console = sms_backend()
    assert isinstance(console, ConsoleSmsBackend)
    console.sent.clear()
    yield
    console.sent.clear()


@pytest.fixture
def owner(db):
    return ApplicantFactory(name="王小明", id_number=OWNER_ID, phone=OWNER_PHONE)


@pytest.fixture
def email_owner(owner):
    NotificationPreference.objects.create(
        applicant=owner, sms_enabled=True, email_enabled=True, email="xiaoming@example.cn"
    )
    return owner


@pytest.fixture
def item(db):
    department = DepartmentFactory(code="S", name="成都市市场监督管理局")
    return ServiceItemFactory(code="S001", name="食品经营许可", department=department)


@pytest.fixture
def licence_material(db):
    return MaterialTypeFactory(code="M_LAYOUT", name="经营场所平面图")


def make_case(owner, item, state=CaseState.SUBMITTED):
    return CaseFactory(applicant=owner, state=state, items=[item])


def accept(case):
    return run_transition(
        case,
        "accept",
        actor=None,
        actor_label="system",
        due_date=timezone.localdate() + dt.timedelta(days=20),
    )


def scan():
    return notifications_scan_events()


def sms_sent():
    return list(sms_backend().sent)


def notifications(**filters):
    return list(Notification.objects.filter(**filters).order_by("id"))
