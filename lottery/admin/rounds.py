"""Rounds: followed and moved here by the officer (close, verify, draw), each button one
service call by POST; opened through the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
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

from ..constants import ApplicationState
from ..forms import DrawForm
from ..models import Round
from ..selectors import rounds_state_counts
from ..services.errors import LotteryError
from ..services.rounds import round_close, round_draw
from ..services.verification import (
    round_failures_by_rule,
    round_progress,
    round_verification_start,
)
from .common import ConfinedToDepartmentMixin, concrete_field_names, is_lottery_officer


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
        return concrete_field_names(Round)

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
