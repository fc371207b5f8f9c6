"""The data-access log of batch reads: a whole population read for one stated purpose.

A case's reads go through the per-case gateway (``cases.services.sharing``), one hash-
chained ``Verification`` row each. A batch read (the car-quota round's check of two
million applicants against five registries) writes one row per person per registry,
set-based, into ``BatchReadSubject`` — ten million of them for a round, which a
row-by-row hash chain cannot write in minutes. Their integrity is kept one level up:
each chunk of a read is one ``BatchRead`` row whose digests cover the chunk's subjects
and the answers (``sharing.services.batch_digest``), so a subject row added, removed or
changed later no longer matches its chunk.

``SharingPurpose`` is the matter the reads serve (用证事由), named once: one lottery
round, or one appeal of it. A person is read at most once per registry per purpose —
a unique constraint, so a chunk run twice (a worker killed, a command rerun) never
logs a read twice.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from departments.identifiers import mask_id_number
from departments.models import Department, Registry


class AppendOnlyError(Exception):
    pass


class _AppendOnlyQuerySet(models.QuerySet):
    """The log is written once: no update or delete through the ORM (retention deletes
    expired rows with its own statement, ``privacy``)."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(_("数据查询记录只能追加，不能修改。"))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(_("数据查询记录只能追加，不能删除。"))


class BatchOutcome(models.TextChoices):
    OK = "ok", _("已读取")
    ERROR = "error", _("接口错误")
    DENIED = "denied", _("无共享授权，已拒绝")


class SharingPurpose(models.Model):
    """One matter that reads registries in batches (a lottery round, an appeal)."""

    key = models.CharField(_("标识"), max_length=100, unique=True)
    purpose = models.CharField(_("用证事由"), max_length=200)
    department = models.ForeignKey(
        Department,
        verbose_name=_("查询部门"),
        on_delete=models.PROTECT,
        related_name="sharing_purposes",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("批量核验事由")
        verbose_name_plural = _("批量核验事由")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(purpose=""), name="sharing_purpose_has_purpose"
            )
        ]

    def __str__(self) -> str:
        return self.purpose


class BatchRead(models.Model):
    """One chunk of a batch read of one registry: who asked, for what, and digests of the
    subjects asked and of the answers."""

    purpose = models.ForeignKey(
        SharingPurpose, verbose_name=_("用证事由"), on_delete=models.PROTECT, related_name="reads"
    )
    registry = models.ForeignKey(
        Registry, verbose_name=_("共享数据库"), on_delete=models.PROTECT, related_name="batch_reads"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("查询人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    outcome = models.CharField(_("结果"), max_length=10, choices=BatchOutcome.choices)
    subjects = models.PositiveIntegerField(_("查询人数"))
    found = models.PositiveIntegerField(_("有记录人数"), default=0)
    request_sha256 = models.CharField(_("请求摘要"), max_length=64)
    response_sha256 = models.CharField(_("响应摘要"), max_length=64, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("批量查询记录")
        verbose_name_plural = _("批量查询记录")

    def __str__(self) -> str:
        return f"{self.registry_id} ×{self.subjects} {self.outcome}"


class BatchReadSubject(models.Model):
    """One person's (or organisation's) record read in a batch: the row the data subject
    sees on "who read my data". Written set-based; never changed."""

    read = models.ForeignKey(
        BatchRead, verbose_name=_("批量查询"), on_delete=models.PROTECT, related_name="subject_rows"
    )
    # The read's own purpose and registry, copied by the one statement that writes these
    # rows (``subject_rows_insert`` takes them from the read), so that the unique constraint
    # can say "once per purpose and registry". The database checks them through ``read``
    # (whose foreign keys hold them): a constraint of their own would check the same two
    # ids again for every one of a round's ten million rows, at commit — measured on 2
    # cores, 135–156 ms against 95–101 ms per 5000-row chunk logged (bench/verification.py).
    # ``purpose`` needs no index of its own either: the unique constraint's leads with it.
    purpose = models.ForeignKey(
        SharingPurpose,
        verbose_name=_("用证事由"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    registry = models.ForeignKey(
        Registry,
        verbose_name=_("共享数据库"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    subject_id = models.CharField(_("被查询主体"), max_length=18)
    found = models.BooleanField(_("有记录"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("批量查询明细")
        verbose_name_plural = _("批量查询明细")
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "registry", "subject_id"], name="batch_read_once_per_purpose"
            )
        ]
        indexes = [models.Index(fields=["subject_id"], name="batch_read_subject")]

    def __str__(self) -> str:
        return f"{self.registry_id} {mask_id_number(self.subject_id)}"
