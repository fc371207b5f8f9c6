from __future__ import annotations

from typing import Any

from django.db import models, router
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from .. import audit
from ..exceptions import AppendOnlyError


def chain_position_unique(name: str) -> models.UniqueConstraint:
    """No two rows at one position of one chain (chain 0 is stored empty)."""
    return models.UniqueConstraint(Coalesce("chain", Value(0)), F("chain_position"), name=name)


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(_("审计记录只能追加，不能修改。"))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(_("审计记录只能追加，不能删除。"))

    def bulk_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(_("审计记录必须逐条写入，以保持哈希链完整。"))


class AppendOnlyModel(models.Model):
    """A row written once and never changed by the application: the audit trail.

    Each row is a link of its table's hash chain (``cases/audit.py``), sealed as
    it is inserted: changing a row afterwards, even in the database, shows.
    """

    # Which of the table's chains the row is in (``audit.AUDIT_CHAINS`` of them, chosen by
    # ``audit_chain_key``); empty for chain 0, which holds every row from before chains
    # were split. The position is unique within the chain (each model's constraint).
    chain = models.PositiveSmallIntegerField(_("链"), null=True, blank=True, editable=False)
    chain_position = models.BigIntegerField(_("链序号"), null=True, editable=False)
    previous_hash = models.CharField(_("前一记录哈希"), max_length=64, blank=True, editable=False)
    row_hash = models.CharField(_("本记录哈希"), max_length=64, blank=True, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(_("审计记录只能追加，不能修改。"))
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        save = super().save
        audit.chain_insert(self, lambda: save(force_insert=True, using=using))

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(_("审计记录只能追加，不能删除。"))

    def audit_chain_key(self) -> int:
        """Rows with the same key share a chain; the chain is the key modulo
        ``audit.AUDIT_CHAINS``. Rows of one case go together."""
        return 0


class AuditChainHead(models.Model):
    """The last link of one audit table's hash chain; its row lock serialises inserts."""

    name = models.CharField(_("审计表"), max_length=100, primary_key=True)
    position = models.BigIntegerField(_("链序号"), default=0)
    last_hash = models.CharField(_("最后记录哈希"), max_length=64)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"{self.name}#{self.position}"


class NumberSequence(models.Model):
    """A named counter for numbers people read (certificate serials...).

    Incremented with ``UPDATE ... SET value = value + 1`` inside the caller's
    transaction, so concurrent allocations queue on the row and never repeat.
    """

    name = models.CharField(max_length=100, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("编号序列")
        verbose_name_plural = _("编号序列")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
