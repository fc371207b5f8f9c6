"""``GET /api/v1/centres/``: the service network as a kiosk, a citizen app or a department
system needs it — every centre in use, top of the tree first, with its queues and windows.

Public: the same facts hang on every hall's wall (names, queues, counters). Throttled per
client address like the public catalogue (``departments.throttles.CatalogueThrottle``).
Four queries whatever the size of the network.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from centres.constants import CentreLevel
from centres.models import Centre, Queue, ServiceWindow

from ..throttles import CatalogueThrottle


class QueueSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy("队列代码，也是号码的前缀（A017）"))
    name = serializers.CharField()


class WindowSerializer(serializers.Serializer):
    code = serializers.SerializerMethodField(help_text=gettext_lazy("窗口号"))
    queues = serializers.SerializerMethodField(help_text=gettext_lazy("该窗口叫号的队列代码"))

    def get_code(self, window: ServiceWindow) -> str:
        return str(window.number)

    def get_queues(self, window: ServiceWindow) -> list[str]:
        # Prefetched (active queues only): no query per window.
        return [queue.code for queue in window.queues.all()]


class CentreSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=CentreLevel.choices)
    parent = serializers.CharField(
        source="parent.code",
        allow_null=True,
        default=None,
        help_text=gettext_lazy("上级中心代码；市级中心为 null"),
    )
    queues = QueueSerializer(many=True)
    windows = WindowSerializer(many=True)


def centres_public() -> QuerySet[Centre]:
    """The active centres with their active queues and windows, prefetched."""
    active_queues = Queue.objects.filter(is_active=True).order_by("code")
    return (
        Centre.objects.filter(is_active=True)
        .select_related("parent")
        .prefetch_related(
            Prefetch("queues", queryset=active_queues),
            Prefetch(
                "windows",
                queryset=ServiceWindow.objects.filter(is_active=True)
                .order_by("number")
                .prefetch_related(Prefetch("queues", queryset=active_queues)),
            ),
        )
        .order_by("path")
    )


@extend_schema(
    tags=["centres"],
    summary=gettext_lazy("服务网络：在用的服务中心（上级在前）及其队列和窗口"),
)
class CentreListView(generics.ListAPIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [CatalogueThrottle]
    serializer_class = CentreSerializer
    pagination_class = None

    def get_queryset(self) -> Any:
        return centres_public()
