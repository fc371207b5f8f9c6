"""Apply online: the catalogue as this applicant may use it, by life event or search."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q

from cases.constants import ApplicantKind
from cases.models import Applicant
from departments.constants import Audience, LifeEvent
from departments.models import Bundle, BundleItem, ServiceItem

# How people and companies look for a service (by their matter, not by department).
LIFE_EVENTS_BY_KIND = {
    ApplicantKind.PERSON: (
        LifeEvent.BIRTH,
        LifeEvent.MARRIAGE,
        LifeEvent.HOUSING,
        LifeEvent.WORK,
    ),
    ApplicantKind.ORGANISATION: (
        LifeEvent.COMPANY_START,
        LifeEvent.COMPANY_CHANGE,
        LifeEvent.COMPANY_CLOSE,
    ),
}


def online_life_events(*, applicant: Applicant) -> list[LifeEvent]:
    return list(LIFE_EVENTS_BY_KIND.get(applicant.kind, ()))


def online_catalogue(
    *, applicant: Applicant, life_event: str = "", query: str = ""
) -> dict[str, Any]:
    """The bundles and items this applicant may apply for online, by life event or search.

    Only what is meant for their kind (person or organisation) or for both; a bundle is
    offered only when every item in it fits too. Three queries whatever the catalogue's size.
    """
    audiences = (applicant.kind, Audience.BOTH)
    bundles = Bundle.objects.filter(audience__in=audiences).prefetch_related(
        Prefetch(
            "bundle_items", queryset=BundleItem.objects.select_related("item").order_by("position")
        )
    )
    items = ServiceItem.objects.filter(is_active=True, audience__in=audiences).select_related(
        "department"
    )
    if life_event:
        bundles = bundles.filter(life_event=life_event)
        items = items.filter(bundles__life_event=life_event)
    query = (query or "").strip()
    if query:
        bundles = bundles.filter(Q(name__icontains=query) | Q(description__icontains=query))
        items = items.filter(Q(name__icontains=query) | Q(department__name__icontains=query))
    bundle_list = [
        bundle
        for bundle in bundles.order_by("code")
        if all(
            bundle_item.item.audience in audiences and bundle_item.item.is_active
            for bundle_item in bundle.bundle_items.all()
        )
    ]
    return {"bundles": bundle_list, "items": list(items.distinct().order_by("code"))}
