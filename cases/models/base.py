from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..exceptions import AppendOnlyError


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(_("审计记录只能追加，不能修改。"))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(_("审计记录只能追加，不能删除。"))


class AppendOnlyModel(models.Model):
    """A row written once and never changed by the application: the audit trail."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(_("审计记录只能追加，不能修改。"))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(_("审计记录只能追加，不能删除。"))


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
