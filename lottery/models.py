"""A quota round (小客车指标摇号): its rules, its applications, its pool and its draw.

A round publishes the SHA-256 of its draw seed when it opens (a commitment) and the seed
itself with the result, so anyone can check that the seed was fixed before the pool was
known and re-run the draw (``tools/verify_draw.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Applicant
from departments.models import Department

from .constants import ApplicationState, Channel

round_code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9-]{1,29}$",
    _("轮次代码由2至30个大写字母、数字或连字符组成。"),
)
sha256_validator = RegexValidator(r"^[0-9a-f]{64}$", _("请填写64位小写十六进制的SHA-256值。"))


class RuleSet(models.Model):
    """Who may apply, as data (``lottery/rules.py`` reads and checks it): per applicant
    kind a tree of ``all``/``any`` nodes over rules that name a registry, a field, an
    operator and the reason shown when it fails; and how a weight is counted."""

    code = models.CharField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    department = models.ForeignKey(
        Department,
        verbose_name=_("组织部门"),
        on_delete=models.PROTECT,
        related_name="lottery_rule_sets",
        help_text=_("以此部门的名义、按其共享协议读取各共享数据库。"),
    )
    rules = models.JSONField(_("资格规则"), default=dict)
    weight = models.JSONField(
        _("权重规则"),
        default=dict,
        blank=True,
        help_text=_('例如 {"base": 1, "extra_every_lost_rounds": 6}：每累计6期未中签加1个号。'),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("摇号资格规则")
        verbose_name_plural = _("摇号资格规则")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .rules import rule_set_problems

        problems = rule_set_problems(rules=self.rules, weight=self.weight)
        if problems:
            raise ValidationError({"rules": problems})


class Round(models.Model):
    code = models.CharField(
        _("轮次代码"), max_length=30, unique=True, validators=[round_code_validator]
    )
    name = models.CharField(_("名称"), max_length=100)
    rule_set = models.ForeignKey(
        RuleSet, verbose_name=_("资格规则"), on_delete=models.PROTECT, related_name="rounds"
    )
    quota = models.PositiveIntegerField(_("指标数"))
    applications_open = models.DateTimeField(_("申请开始"))
    applications_close = models.DateTimeField(_("申请截止"))
    seed_sha256 = models.CharField(
        _("种子承诺（SHA-256）"),
        max_length=64,
        validators=[sha256_validator],
        help_text=_("开放申请时公布的摇号种子的SHA-256；摇号时公布种子本身。"),
    )
    seed = models.CharField(_("摇号种子"), max_length=256, blank=True)
    # The pool published now (after verification, again after each appeal that changes it).
    pool_version = models.PositiveIntegerField(_("资格池版本"), default=0)
    pool_sha256 = models.CharField(_("资格池SHA-256"), max_length=64, blank=True)
    pool_file = models.CharField(_("资格池文件"), max_length=200, blank=True)
    pool_entries = models.PositiveIntegerField(_("资格池人数"), default=0)
    pool_published_at = models.DateTimeField(_("资格池公布时间"), null=True, blank=True)
    verification_runs = models.PositiveIntegerField(_("核验批次"), default=0)
    # Set when the draw begins: no appeal or decision may change the pool after it.
    appeals_closed_at = models.DateTimeField(_("复核截止时间"), null=True, blank=True)
    drawn_at = models.DateTimeField(_("摇号时间"), null=True, blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("摇号人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["-applications_open", "-id"]
        verbose_name = _("摇号轮次")
        verbose_name_plural = _("摇号轮次")
        constraints = [
            models.CheckConstraint(
                condition=Q(applications_close__gt=F("applications_open")),
                name="lottery_round_closes_after_opening",
                violation_error_message=_("申请截止时间必须晚于开始时间。"),
            ),
            models.CheckConstraint(condition=Q(quota__gte=1), name="lottery_round_has_quota"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.applications_open <= now < self.applications_close and self.drawn_at is None

    def is_closed(self, now=None) -> bool:
        return (now or timezone.now()) >= self.applications_close


class Application(models.Model):
    # No index of their own: the constraints and indexes below all lead with ``round``,
    # and ``lottery_applicant`` with ``applicant`` — a verdict writes every index of a row,
    # ten million of them a round.
    round = models.ForeignKey(
        Round,
        verbose_name=_("轮次"),
        on_delete=models.PROTECT,
        related_name="applications",
        db_index=False,
    )
    applicant = models.ForeignKey(
        Applicant,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="lottery_applications",
        db_index=False,
    )
    application_no = models.CharField(_("申请编号"), max_length=40, unique=True)
    lottery_code = models.CharField(_("摇号编码"), max_length=13)
    channel = models.CharField(_("申请渠道"), max_length=10, choices=Channel.choices)
    state = models.CharField(
        _("状态"),
        max_length=20,
        choices=ApplicationState.choices,
        default=ApplicationState.SUBMITTED,
    )
    weight = models.PositiveSmallIntegerField(_("权重（号数）"), default=1)
    # Every failed rule: [{"rule", "registry", "message"}] (also why it is pending).
    reasons = models.JSONField(_("未通过原因"), default=list, blank=True)
    # While pending: the fields read from the registries that did answer, so a rerun reads
    # only the ones that did not. Cleared with the verdict.
    facts = models.JSONField(_("已读取数据"), null=True, blank=True, editable=False)
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    appeal_note = models.CharField(_("复核理由"), max_length=500, blank=True)
    appealed_at = models.DateTimeField(_("申请复核时间"), null=True, blank=True)
    decision_reason = models.CharField(_("复核决定理由"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核决定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("复核决定时间"), null=True, blank=True)
    draw_rank = models.PositiveIntegerField(_("中签顺位"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)

    class Meta:
        ordering = ["round", "id"]
        verbose_name = _("摇号申请")
        verbose_name_plural = _("摇号申请")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "applicant"], name="lottery_one_application_per_round"
            ),
            models.UniqueConstraint(
                fields=["round", "lottery_code"], name="lottery_code_unique_in_round"
            ),
            models.CheckConstraint(condition=Q(weight__gte=1), name="lottery_weight_positive"),
        ]
        indexes = [
            models.Index(fields=["round", "state", "id"], name="lottery_round_state"),
            models.Index(fields=["applicant", "round"], name="lottery_applicant"),
        ]

    def __str__(self) -> str:
        return self.application_no
