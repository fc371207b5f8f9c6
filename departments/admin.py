"""The catalogue in the Django admin: administrators maintain it, everyone else reads it.

Every foreign key is either joined in the list (``list_select_related``) or picked
with an autocomplete widget, so list pages cost a fixed number of queries and
forms never render a select with every row of a large table.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .identifiers import mask_id_number
from .models import (
    Bundle,
    BundleItem,
    CertificateType,
    Department,
    MaterialRequirement,
    MaterialType,
    Registry,
    RegistryRecord,
    ServiceItem,
    SharingAgreement,
    StaffProfile,
    WorkingCalendarDay,
    WorkingCalendarYear,
)

User = get_user_model()


class _Labelled:
    """Stands in for a row where Django prints ``str(row)`` but the row's own text is too revealing."""

    def __init__(self, *, pk: object, label: str) -> None:
        self.pk = pk
        self.label = label

    def __str__(self) -> str:
        return self.label


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "credit_code", "is_active")
    list_display_links = ("code", "name")
    list_filter = ("level", "is_active")
    search_fields = ("code", "name", "credit_code")
    ordering = ("code",)


@admin.register(CertificateType)
class CertificateTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "issuing_department", "validity_days")
    list_display_links = ("code", "name")
    list_filter = ("issuing_department",)
    list_select_related = ("issuing_department",)
    search_fields = ("code", "name")
    autocomplete_fields = ("issuing_department",)
    ordering = ("code",)


@admin.register(Registry)
class RegistryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "department", "kind", "connector")
    list_display_links = ("code", "name")
    list_filter = ("department", "kind", "connector")
    list_select_related = ("department",)
    search_fields = ("code", "name")
    autocomplete_fields = ("department",)
    ordering = ("code",)
    # Department endpoints are HTTPS; also what Django 6 assumes for a URL typed without a scheme.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(RegistryRecord)
class RegistryRecordAdmin(admin.ModelAdmin):
    """Subjects' personal data: the list shows masked numbers; the full one only on the record."""

    list_display = ("masked_subject_id", "registry", "updated_at")
    list_filter = ("registry",)
    list_select_related = ("registry",)
    # Exact match only: a partial number must not find (and so reveal) other people.
    search_fields = ("=subject_id",)
    autocomplete_fields = ("registry",)
    readonly_fields = ("updated_at",)
    ordering = ("registry__code", "subject_id")

    @admin.display(description=_("主体号码"), ordering="subject_id")
    def masked_subject_id(self, record: RegistryRecord) -> str:
        return mask_id_number(record.subject_id)

    def action_checkbox(self, record: RegistryRecord) -> str:
        # The checkbox's aria-label is str(record), which carries the full number.
        label = f"{record.registry.code}:{mask_id_number(record.subject_id)}"
        return super().action_checkbox(_Labelled(pk=record.pk, label=label))


@admin.register(MaterialType)
class MaterialTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "satisfied_by", "verifiable_by", "reuse_validity_days")
    list_display_links = ("code", "name")
    list_filter = ("satisfied_by", "verifiable_by")
    list_select_related = ("satisfied_by", "verifiable_by")
    search_fields = ("code", "name")
    autocomplete_fields = ("satisfied_by", "verifiable_by")
    ordering = ("code",)


class MaterialRequirementInline(admin.TabularInline):
    model = MaterialRequirement
    fields = ("position", "material_type", "is_required", "note")
    autocomplete_fields = ("material_type",)
    ordering = ("position", "id")
    extra = 0


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "department",
        "kind",
        "promised_working_days",
        "auto_decide",
        "requires_presence",
        "produces",
        "is_active",
    )
    list_display_links = ("code", "name")
    list_filter = (
        "department",
        "kind",
        "auto_decide",
        "requires_presence",
        "audience",
        "is_active",
    )
    list_select_related = ("department", "produces")
    search_fields = ("code", "name")
    autocomplete_fields = ("department", "produces")
    ordering = ("code",)
    inlines = (MaterialRequirementInline,)
    fieldsets = (
        (None, {"fields": ("code", "name", "department", "kind", "audience", "is_active")}),
        (
            _("办理"),
            {
                "fields": (
                    "promised_working_days",
                    "fee",
                    "requires_presence",
                    "auto_decide",
                    "produces",
                    "legal_basis",
                    "form_fields",
                )
            },
        ),
    )


class BundleItemInline(admin.TabularInline):
    model = BundleItem
    fields = ("position", "item")
    autocomplete_fields = ("item",)
    ordering = ("position",)
    extra = 0


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "life_event", "audience", "is_all_or_nothing", "item_count")
    list_display_links = ("code", "name")
    list_filter = ("life_event", "audience", "is_all_or_nothing")
    search_fields = ("code", "name")
    ordering = ("code",)
    inlines = (BundleItemInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Bundle]:
        return super().get_queryset(request).annotate(item_count=Count("bundle_items"))

    @admin.display(description=_("事项数"), ordering="item_count")
    def item_count(self, bundle: Bundle) -> int:
        return bundle.item_count  # type: ignore[attr-defined]


@admin.register(SharingAgreement)
class SharingAgreementAdmin(admin.ModelAdmin):
    list_display = ("consumer", "registry", "purpose", "valid_from", "valid_until", "is_active")
    list_display_links = ("consumer", "registry")
    list_filter = ("is_active", "consumer", "registry")
    list_select_related = ("consumer", "registry")
    search_fields = (
        "purpose",
        "consumer__code",
        "consumer__name",
        "registry__code",
        "registry__name",
    )
    autocomplete_fields = ("consumer", "registry")
    ordering = ("consumer__code", "registry__code")


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "department")
    list_filter = ("role", "department")
    list_select_related = ("user", "department")
    search_fields = ("user__username", "user__first_name", "user__last_name", "department__name")
    autocomplete_fields = ("user", "department")
    ordering = ("user__username",)


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    fields = ("role", "department")
    autocomplete_fields = ("department",)
    can_delete = True
    max_num = 1
    extra = 0


# Staff accounts and their role are edited on one page: the role lives in StaffProfile.
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = (*DjangoUserAdmin.inlines, StaffProfileInline)
    list_display = (*DjangoUserAdmin.list_display, "role", "department")
    list_filter = (*DjangoUserAdmin.list_filter, "staff_profile__role", "staff_profile__department")
    list_select_related = ("staff_profile", "staff_profile__department")

    @admin.display(description=_("角色"), ordering="staff_profile__role")
    def role(self, user: User) -> str | None:  # type: ignore[valid-type]
        profile = getattr(user, "staff_profile", None)
        return profile.get_role_display() if profile is not None else None

    @admin.display(description=_("部门"), ordering="staff_profile__department__code")
    def department(self, user: User) -> Department | None:  # type: ignore[valid-type]
        profile = getattr(user, "staff_profile", None)
        return profile.department if profile is not None else None


class WorkingCalendarDayInline(admin.TabularInline):
    model = WorkingCalendarDay
    fields = ["date", "is_working_day", "name"]
    extra = 0


@admin.register(WorkingCalendarYear)
class WorkingCalendarYearAdmin(admin.ModelAdmin):
    """Read here; entered on the supervisors' calendar page (/supervision/calendar/), which
    also moves the open cases' due dates: a change made here would not."""

    list_display = ["year", "source", "entered_by", "updated_at"]
    inlines = [WorkingCalendarDayInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
