"""The lottery officer's desk in the Django admin.

Rule sets are edited here as JSON (checked by ``RuleSet.clean`` and the registries that
exist). Rounds and applications are created and moved only by ``lottery.services``: the
admin shows them read-only, and its buttons — close applications, start the verification,
draw with the seed, decide an appeal — each call one service, for lottery officers only,
by POST. A refusal shows the service's message and changes nothing.

An officer sees the rounds of their own department's rule sets (and those rounds'
applications); superusers see all. Lists join what they show and never count a whole
table of two million applications more than the paginator must.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
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

from cases.admin import MissingIs404Mixin
from departments.constants import Role
from departments.identifiers import mask_id_number
from departments.models import Department
from departments.roles import has_role

from .constants import ApplicationState
from .forms import AppealDecisionForm, DrawForm, RuleSetAdminForm
from .models import Application, Round, RuleSet
from .selectors import (
    application_no_clean,
    rounds_state_counts,
    user_confined_rule_set_department_id,
)
from .services.applications import appeal_decide
from .services.errors import LotteryError
from .services.rounds import round_close, round_draw
from .services.verification import (
    round_failures_by_rule,
    round_progress,
    round_verification_start,
)


def is_lottery_officer(user: Any) -> bool:
    return has_role(user, Role.LOTTERY_OFFICER)


def _all_fields(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(field.name for field in model._meta.concrete_fields if not field.primary_key)


class ConfinedToDepartmentMixin(MissingIs404Mixin):
    """Rows of other departments' rule sets answer 404, like rows that do not exist."""

    department_lookup: str = ""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        department_id = user_confined_rule_set_department_id(request.user)
        if department_id is None:
            return queryset
        return queryset.filter(**{self.department_lookup: department_id})


@admin.register(RuleSet)
class RuleSetAdmin(ConfinedToDepartmentMixin, admin.ModelAdmin):
    form = RuleSetAdminForm
    department_lookup = "department_id"
    list_display = ("code", "name", "department", "updated_at")
    list_display_links = ("code", "name")
    list_select_related = ("department",)
    search_fields = ("code", "name")
    readonly_fields = ("updated_at",)
    ordering = ("code",)
    fields = ("code", "name", "department", "rules", "weight", "updated_at")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """An officer organises rounds for their own department only: it is the one
        choice (a select, not an autocomplete, which would need the catalogue's admin)."""
        if db_field.name == "department":
            department_id = user_confined_rule_set_department_id(request.user)
            departments = Department.objects.order_by("code")
            if department_id is not None:
                departments = departments.filter(pk=department_id)
            kwargs["queryset"] = departments
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: RuleSet | None = None) -> bool:
        return False


class _RoundStates:
    """A list column: how many of the round's applications are in ``states``."""

    def __init__(self, *states: str, description: str) -> None:
        self.states = states
        self.short_description = description
        self.__name__ = "states_" + "_".join(state.lower() for state in states)

    def __call__(self, round_: Round) -> int:
        counts = getattr(round_, "state_counts", None) or {}
        return sum(counts.get(state, 0) for state in self.states)


@admin.register(Round)
class RoundAdmin(ConfinedToDepartmentMixin, admin.ModelAdmin):
    """Rounds are opened through the API; here the officer follows and moves them."""

    department_lookup = "rule_set__department_id"
    change_form_template = "lottery/admin/round_change_form.html"
    list_display = (
        "code",
        "name",
        "quota",
        "applications_close",
        "total_applications",
        _RoundStates(
            ApplicationState.SUBMITTED, ApplicationState.PENDING_REGISTRY, description=_("待核验")
        ),
        _RoundStates(ApplicationState.ELIGIBLE, description=_("审核通过")),
        _RoundStates(ApplicationState.INELIGIBLE, description=_("审核未通过")),
        _RoundStates(ApplicationState.APPEALED, description=_("待复核决定")),
        _RoundStates(ApplicationState.WON, description=_("中签")),
        "drawn_at",
    )
    list_display_links = ("code", "name")
    list_select_related = ("rule_set",)
    search_fields = ("code", "name")
    ordering = ("-applications_open", "-id")
    actions = None
    fieldsets = (
        (None, {"fields": ("code", "name", "rule_set", "quota")}),
        (_("申请期"), {"fields": ("applications_open", "applications_close", "appeals_closed_at")}),
        (
            _("摇号"),
            {
                "fields": (
                    "seed_sha256",
                    "verification_runs",
                    "pool_version",
                    "pool_sha256",
                    "pool_entries",
                    "pool_published_at",
                    "seed",
                    "drawn_at",
                    "drawn_by",
                )
            },
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Round | None = None) -> bool:
        return False

    def get_readonly_fields(
        self, request: HttpRequest, obj: Round | None = None
    ) -> tuple[str, ...]:
        return _all_fields(Round)

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        """The page's rounds get their state counts from one ``GROUP BY``."""
        changelist = super().get_changelist_instance(request)
        rounds = list(changelist.result_list)
        counts = rounds_state_counts(round_ids=[round_.pk for round_ in rounds])
        for round_ in rounds:
            round_.state_counts = counts.get(round_.pk, {})  # type: ignore[attr-defined]
        changelist.result_list = rounds
        return changelist

    @admin.display(description=_("申请数"))
    def total_applications(self, round_: Round) -> int:
        return sum((getattr(round_, "state_counts", None) or {}).values())

    # --- the page of one round ---

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Round | None = None,
    ) -> TemplateResponse:
        if obj is not None:
            progress = round_progress(round_=obj)
            labels = dict(ApplicationState.choices)
            failures = round_failures_by_rule(round_=obj)
            context.update(
                {
                    "round_progress": progress,
                    "round_states": [
                        (labels[state], progress.states.get(state, 0))
                        for state in ApplicationState.values
                    ],
                    "round_failures": sorted(
                        failures.items(), key=lambda item: (-item[1], item[0])
                    ),
                    "is_lottery_officer": is_lottery_officer(request.user),
                    "draw_form": DrawForm(),
                    "round_is_closed": obj.is_closed(),
                }
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/close/",
                self.admin_site.admin_view(self.close_view),
                name=f"{prefix}_close",
            ),
            path(
                "<path:object_id>/verify/",
                self.admin_site.admin_view(self.verify_view),
                name=f"{prefix}_verify",
            ),
            path(
                "<path:object_id>/draw/",
                self.admin_site.admin_view(self.draw_view),
                name=f"{prefix}_draw",
            ),
            *super().get_urls(),
        ]

    def _round_for_officer(self, request: HttpRequest, object_id: str) -> Round:
        round_ = self.get_object(request, unquote(object_id))
        if round_ is None:
            raise Http404
        if not self.has_view_permission(request, round_) or not is_lottery_officer(request.user):
            raise PermissionDenied
        return round_

    def _back(self, round_: Round) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:lottery_round_change", args=[round_.pk]))

    def close_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """关闭申请: applications end now."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        round_ = self._round_for_officer(request, object_id)
        try:
            round_ = round_close(round_=round_)
        except LotteryError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("%(round)s：申请已截止。") % {"round": round_.code},
                messages.SUCCESS,
            )
        return self._back(round_)

    def verify_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """开始资格审核: one job per chunk of the unfinished applications."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        round_ = self._round_for_officer(request, object_id)
        try:
            started = round_verification_start(round_=round_, user=request.user)
        except LotteryError as error:
            self.message_user(request, str(error), messages.ERROR)
            return self._back(round_)
        if started.chunks == 0:
            self.message_user(request, gettext("没有待核验的申请。"), messages.INFO)
        else:
            self.message_user(
                request,
                gettext("第%(run)d次核验已开始：%(applications)d份申请，分为%(chunks)d个分块。")
                % {
                    "run": started.run,
                    "applications": started.applications,
                    "chunks": started.chunks,
                },
                messages.SUCCESS,
            )
        return self._back(round_)

    def draw_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """摇号 with the seed whose SHA-256 was published when the round opened."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        round_ = self._round_for_officer(request, object_id)
        form = DrawForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for message in errors:
                    self.message_user(request, message, messages.ERROR)
            return self._back(round_)
        try:
            drawn = round_draw(round_=round_, seed_hex=form.cleaned_data["seed"], user=request.user)
        except LotteryError as error:
            self.message_user(request, str(error), messages.ERROR)
            return self._back(round_)
        won = round_progress(round_=drawn).states.get(ApplicationState.WON, 0)
        self.message_user(
            request,
            gettext("%(round)s已摇号：资格池%(entries)d人，中签%(won)d人。")
            % {"round": drawn.code, "entries": drawn.pool_entries, "won": won},
            messages.SUCCESS,
        )
        return self._back(drawn)


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
        return (*_all_fields(Application), "applicant_display", "reasons_display")

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
