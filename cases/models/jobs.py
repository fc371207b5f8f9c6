from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.request_context import REQUEST_ID_MAX_LENGTH

from ..constants import JobState


class Job(models.Model):
    """Work that must happen, written in the same transaction as the change that causes it.

    The outbox of docs/architecture.md §4.6: Celery only carries a job's id; the row says
    what is left to do. ``key`` is unique, so the same work is never queued
    twice; a sweeper re-publishes rows whose message was lost (a broker restart)
    or whose worker died (an expired lease). ``published_at`` is the "queued" marker: set
    when its message is sent, cleared when a worker claims it or the send failed.
    """

    kind = models.CharField(_("类别"), max_length=50)
    key = models.CharField(_("唯一键"), max_length=200, unique=True)
    payload = models.JSONField(_("参数"), default=dict, blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=JobState.choices, default=JobState.PENDING
    )
    attempts = models.PositiveIntegerField(_("已尝试次数"), default=0)
    next_try_at = models.DateTimeField(_("下次执行时间"), default=timezone.now)
    published_at = models.DateTimeField(_("最近投递时间"), null=True, blank=True)
    lease_until = models.DateTimeField(_("执行租约到期"), null=True, blank=True)
    # Which try of which message holds the running job (``<task id>/<try>``): a retry of
    # the same message may take over what an earlier try held when the database went away.
    claimed_by = models.CharField(_("执行者"), max_length=80, blank=True, default="")
    last_error = models.TextField(_("最近错误"), blank=True)
    # The request (or the task of a request) that made the work necessary: every message
    # of the job carries it, a republish by the sweeper too, so the worker's log lines
    # tie back to that request.
    request_id = models.CharField(
        _("请求编号"), max_length=REQUEST_ID_MAX_LENGTH, null=True, blank=True
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("后台作业")
        verbose_name_plural = _("后台作业")
        constraints = [
            models.CheckConstraint(
                condition=~Q(state=JobState.RUNNING) | Q(lease_until__isnull=False),
                name="job_running_has_lease",
            ),
        ]
        indexes = [
            # The sweeper's two questions: what is due, and whose lease ran out.
            models.Index(
                fields=["state", "next_try_at"],
                name="job_open_due",
                condition=Q(state__in=[JobState.PENDING, JobState.RUNNING]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"
