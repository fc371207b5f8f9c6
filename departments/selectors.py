"""Catalogue reads with their joins, so list pages run a fixed number of queries."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from .models import Bundle, BundleItem, MaterialRequirement, ServiceItem


def items_search(*, query: str = "") -> QuerySet[ServiceItem]:
    """Active items, with everything the list shows in a fixed number of queries."""
    items = (
        ServiceItem.objects.filter(is_active=True)
        .select_related("department", "produces")
        .prefetch_related(
            Prefetch(
                "requirements",
                queryset=MaterialRequirement.objects.select_related(
                    "material_type__satisfied_by", "material_type__verifiable_by"
                ),
            )
        )
        .order_by("code")
    )
    query = query.strip()
    if query:
        items = items.filter(
            Q(code__icontains=query)
            | Q(name__icontains=query)
            | Q(department__name__icontains=query)
        )
    return items


def bundles_search(*, query: str = "") -> QuerySet[Bundle]:
    bundles = Bundle.objects.prefetch_related(
        Prefetch("bundle_items", queryset=BundleItem.objects.select_related("item"))
    ).order_by("code")
    query = query.strip()
    if query:
        bundles = bundles.filter(Q(code__icontains=query) | Q(name__icontains=query))
    return bundles
