"""The same courier event twice at once, two clerks sending one case at once: one effect each."""

import json
import time

import pytest
from django.utils import timezone

from cases.constants import CaseState, DeliveryStatus
from cases.exceptions import CaseError
from cases.models import Case, CaseEvent, CourierEvent, Delivery
from cases.services.delivery import courier_webhook_receive, delivery_create, webhook_signature
from tests.concurrency import race
from tests.factories import CaseFactory

from .conftest import WEBHOOK_SECRETS, parcel


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(2))
def test_the_same_webhook_event_twice_at_once_is_applied_once(clerk, webhook_secrets, attempt):
    case = CaseFactory(state=CaseState.ISSUED)
    delivery_create(case=case, actor=clerk, **parcel())
    body = json.dumps(
        {
            "event_id": "evt-race",
            "waybill": "EE123456785CN",
            "status": "failed",
            "occurred_at": timezone.now().isoformat(),
            "reason": "无人签收",
        }
    ).encode()
    timestamp = str(int(time.time()))
    signature = webhook_signature(secret=WEBHOOK_SECRETS["EMS"], timestamp=timestamp, body=body)

    def receive():
        return courier_webhook_receive(
            courier="EMS", timestamp=timestamp, signature=signature, body=body
        )

    outcomes = race([receive, receive])
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted(outcome.duplicate for outcome in outcomes) == [False, True]
    assert CourierEvent.objects.count() == 1
    assert Delivery.objects.get().status == DeliveryStatus.FAILED
    assert CaseEvent.objects.filter(case=case, name="return_to_window").count() == 1
    assert Case.objects.get(pk=case.pk).state == CaseState.ISSUED


@pytest.mark.django_db(transaction=True)
def test_two_clerks_sending_the_same_case_at_once_make_one_parcel(clerk):
    case = CaseFactory(state=CaseState.ISSUED)
    views = [Case.objects.get(pk=case.pk) for _ in range(2)]
    outcomes = race(
        [
            lambda: delivery_create(case=views[0], actor=clerk, **parcel()),
            lambda: delivery_create(
                case=views[1], actor=clerk, **parcel(courier="SF", waybill="SF1234567890123")
            ),
        ]
    )
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], CaseError), outcomes
    assert Delivery.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, name="ship").count() == 1
