"""Catalogue reads for department systems, the citizen app, the window's item search and
anyone else: the catalogue is public (the guide), read-only and throttled per address."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from ..models import Bundle, ServiceItem
from ..selectors import bundles_search, items_search
from ..throttles import CatalogueThrottle


class RequirementSerializer(serializers.Serializer):
    material_type = serializers.CharField(source="material_type.code")
    name = serializers.CharField(source="material_type.name")
    satisfied_by_certificate = serializers.CharField(
        source="material_type.satisfied_by.code", allow_null=True, default=None
    )
    verifiable_by = serializers.CharField(
        source="material_type.verifiable_by.code", allow_null=True, default=None
    )
    required = serializers.BooleanField(source="is_required")


class FeeField(serializers.DecimalField):
    """The fee in yuan as a decimal string ("120.00"); ``null`` when the item is free."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=10, decimal_places=2, allow_null=True, **kwargs)

    def get_attribute(self, instance: ServiceItem) -> Decimal | None:
        fee = super().get_attribute(instance)
        return fee if fee else None


class ItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.name")
    produces = serializers.CharField(source="produces.code", allow_null=True, default=None)
    promised_days = serializers.IntegerField(source="promised_working_days")
    auto_decide = serializers.BooleanField()
    requires_presence = serializers.BooleanField()
    legal_basis = serializers.CharField()
    fee = FeeField(read_only=True)
    materials = RequirementSerializer(source="requirements", many=True)


class BundleSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    items = serializers.SerializerMethodField()

    def get_items(self, bundle: Bundle) -> list[str]:
        return [bundle_item.item.code for bundle_item in bundle.bundle_items.all()]


SEARCH = OpenApiParameter("q", str, description="code or name contains")


class PublicCatalogueMixin:
    """Open to anyone; signed-in callers are still authenticated as before (and not
    counted by the throttle)."""

    permission_classes = [AllowAny]
    throttle_classes = [CatalogueThrottle]


@extend_schema(parameters=[SEARCH])
class ItemListView(PublicCatalogueMixin, generics.ListAPIView):
    """`GET /api/v1/items/`: every active item with its materials."""

    serializer_class = ItemSerializer

    def get_queryset(self) -> QuerySet[ServiceItem]:
        return items_search(query=self.request.query_params.get("q", ""))


class ItemDetailView(PublicCatalogueMixin, generics.RetrieveAPIView):
    """`GET /api/v1/items/{code}/`: one active item with its materials."""

    serializer_class = ItemSerializer
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[ServiceItem]:
        return items_search()


@extend_schema(parameters=[SEARCH])
class BundleListView(PublicCatalogueMixin, generics.ListAPIView):
    """`GET /api/v1/bundles/`: the "one thing" bundles with their items in order."""

    serializer_class = BundleSerializer

    def get_queryset(self) -> QuerySet[Bundle]:
        return bundles_search(query=self.request.query_params.get("q", ""))


class BundleDetailView(PublicCatalogueMixin, generics.RetrieveAPIView):
    """`GET /api/v1/bundles/{code}/`: one bundle with its items in order."""

    serializer_class = BundleSerializer
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[Bundle]:
        return bundles_search()
