from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Centre, Queue, ServiceWindow
from .scope import centre_filter


class QueueInline(admin.TabularInline):
    model = Queue
    extra = 0


class WindowInline(admin.TabularInline):
    model = ServiceWindow
    extra = 0
    filter_horizontal = ("queues",)


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ("indented_name", "code", "level", "address", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("code", "name", "address")
    readonly_fields = ("path",)
    inlines = (QueueInline, WindowInline)

    @admin.display(description=_("名称"), ordering="path")
    def indented_name(self, centre: Centre) -> str:
        return "　" * centre.depth + centre.name

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        """A county's staff see their county's part of the network, nothing above."""
        return super().get_queryset(request).filter(centre_filter(request.user, ""))

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        """The code and the parent make the path: fixed once the centre exists."""
        if obj is not None:
            return ("path", "code", "parent", "level")
        return ("path",)
