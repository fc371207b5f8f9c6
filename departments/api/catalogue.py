"""Catalogue reads for department systems, the citizen app and the window's item search."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers

from ..models import Bundle, ServiceItem
from ..selectors import bundles_search, items_search


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
    materials = RequirementSerializer(source="requirements", many=True)


class BundleSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    items = serializers.SerializerMethodField()

    def get_items(self, bundle: Bundle) -> list[str]:
        return [bundle_item.item.code for bundle_item in bundle.bundle_items.all()]


SEARCH = OpenApiParameter("q", str, description="code or name contains")


@extend_schema(parameters=[SEARCH])
class ItemListView(generics.ListAPIView):
    """`GET /api/v1/items/`: every active item with its materials."""

    serializer_class = ItemSerializer

    def get_queryset(self) -> QuerySet[ServiceItem]:
        return items_search(query=self.request.query_params.get("q", ""))


@extend_schema(parameters=[SEARCH])
class BundleListView(generics.ListAPIView):
    """`GET /api/v1/bundles/`: the "one thing" bundles with their items in order."""

    serializer_class = BundleSerializer

    def get_queryset(self) -> QuerySet[Bundle]:
        return bundles_search(query=self.request.query_params.get("q", ""))
