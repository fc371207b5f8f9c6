"""Applications: verdicts come from the verification run; the officer only decides the
appeals the registries did not settle."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from departments.identifiers import mask_id_number

from ..constants import ApplicationState
from ..forms import AppealDecisionForm
from ..models import Application
from ..selectors import application_no_clean
from ..services.applications import appeal_decide
from ..services.errors import LotteryError
from .common import ConfinedToDepartmentMixin, concrete_field_names, is_lottery_officer


@admin.register(Application)
class ApplicationAdmin(ConfinedToDepartmentMixin, admin.ModelAdmin):
    """Verdicts come from the verification run; the officer only decides appeals that
    the registries did not settle (state 已申请复核)."""

    department_lookup = "round__rule_set__department_id"
    change_form_template = "lottery/admin/application_change_form.html"
    list_display = (
        "application_no",
        "round_code",
        "applicant_name",
        "masked_id_number",
        "channel",
        "state",
        "weight",
        "lottery_code",
        "draw_rank",
        "created_at",
    )
    list_filter = ("round", "state", "channel")
    list_select_related = ("round", "applicant")
    search_fields = ("application_no",)
    search_help_text = _("输入完整的申请编号。")
    ordering = ("-id",)
    actions = None
    show_full_result_count = False  # no COUNT(*) over two million rows on every page
    fieldsets = (
        (
            None,
            {"fields": ("application_no", "round", "applicant_display", "channel", "created_at")},
        ),
        (
            _("资格审核"),
            {"fields": ("state", "weight", "lottery_code", "reasons_display", "verified_at")},
        ),
        (
            _("复核"),
            {
                "fields": (
                    "appeal_note",
                    "appealed_at",
                    "decision_reason",
                    "decided_by",
                    "decided_at",
                )
            },
        ),
        (_("摇号"), {"fields": ("draw_rank",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Application]:
        return super().get_queryset(request).defer("facts")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Application | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Application | None = None) -> bool:
        return False

    def get_readonly_fields(
        self, request: HttpRequest, obj: Application | None = None
    ) -> tuple[str, ...]:
        return (*concrete_field_names(Application), "applicant_display", "reasons_display")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Application], search_term: str
    ) -> tuple[QuerySet[Application], bool]:
        """The whole application number, matched exactly (the unique index answers it): a
        case-insensitive or partial match would read every row."""
        number = application_no_clean(search_term)
        if not number:
            return queryset, False
        return queryset.filter(application_no=number), False

    @admin.display(description=_("轮次"))
    def round_code(self, application: Application) -> str:
        return application.round.code

    @admin.display(description=_("申请人"))
    def applicant_name(self, application: Application) -> str:
        return application.applicant.masked_name

    @admin.display(description=_("证件号码"))
    def masked_id_number(self, application: Application) -> str:
        return mask_id_number(application.applicant.id_number)

    @admin.display(description=_("申请人"))
    def applicant_display(self, application: Application) -> str:
        applicant = application.applicant
        return f"{applicant.name} ({mask_id_number(applicant.id_number)})"

    @admin.display(description=_("未通过原因"))
    def reasons_display(self, application: Application) -> str:
        lines = [
            f"{reason.get('rule') or reason.get('registry', '')}: {reason.get('message', '')}"
            for reason in (application.reasons or [])
            if isinstance(reason, dict)
        ]
        return "\n".join(lines) or "—"

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Application | None = None,
    ) -> TemplateResponse:
        if obj is not None:
            context["decision_form"] = (
                AppealDecisionForm()
                if obj.state == ApplicationState.APPEALED and is_lottery_officer(request.user)
                else None
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name=f"{prefix}_decide",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The officer's decision on an appeal, with its recorded reason."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        application = self.get_object(request, unquote(object_id))
        if application is None:
            raise Http404
        if not self.has_view_permission(request, application) or not is_lottery_officer(
            request.user
        ):
            raise PermissionDenied
        back = HttpResponseRedirect(
            reverse("admin:lottery_application_change", args=[application.pk])
        )
        form = AppealDecisionForm(request.POST)
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for message in errors:
                    self.message_user(
                        request, f"{label}：{message}" if label else message, messages.ERROR
                    )
            return back
        try:
            decided = appeal_decide(
                application=application,
                eligible=form.is_eligible,
                reason=form.cleaned_data["reason"],
                user=request.user,
            )
        except LotteryError as error:
            self.message_user(request, str(error), messages.ERROR)
            return back
        self.message_user(
            request,
            gettext("%(number)s：已作出复核决定，当前状态「%(state)s」。")
            % {"number": decided.application_no, "state": decided.get_state_display()},
            messages.SUCCESS,
        )
        return back
