"""The service network: centres in a tree (city → county → town → village), the queues
each hall serves, and the windows that call them.

The tree is a materialised path: each centre stores the codes from the city down to
itself (``341600/341602/341602100/``), so "this centre and every centre below it" is
one indexed prefix match (``path__startswith``), with no recursive query. A centre's
code and parent never change once it exists (the path would go stale); a centre that
closes is made inactive.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .constants import DEFAULT_OPENING_HOURS, PATH_SEPARATOR, CentreLevel, level_below
from .hours import validate_opening_hours

centre_code_validator = RegexValidator(
    r"^[0-9A-Z]{2,20}$", _("中心代码为 2–20 位大写字母或数字（建议用行政区划代码）。")
)
queue_code_validator = RegexValidator(r"^[A-Z]$", _("队列代码为一个大写字母，也是号码的前缀。"))


def default_opening_hours() -> dict[str, list[list[str]]]:
    return {
        day: [list(interval) for interval in hours] for day, hours in DEFAULT_OPENING_HOURS.items()
    }


class Centre(models.Model):
    """A service centre (政务服务中心 / 便民服务中心 / 代办点) at one level of the network."""

    code = models.CharField(
        _("中心代码"), max_length=20, unique=True, validators=[centre_code_validator]
    )
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=10, choices=CentreLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级中心"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(_("路径"), max_length=255, unique=True, editable=False)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=30, blank=True)
    opening_hours = models.JSONField(
        _("营业时间"),
        default=default_opening_hours,
        validators=[validate_opening_hours],
        help_text=_(
            '星期（1 为星期一）→ 时段，例如 {"1": [["09:00", "12:00"], ["13:30", "17:30"]]}。'
        ),
    )
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("服务中心")
        verbose_name_plural = _("服务中心")
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=True, level=CentreLevel.CITY)
                | Q(parent__isnull=False) & ~Q(level=CentreLevel.CITY),
                name="centre_city_is_the_root",
                violation_error_message=_("只有市级中心没有上级中心。"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        """The path follows from the parent's path and the code."""
        prefix = self.parent.path if self.parent_id else ""
        self.path = f"{prefix}{self.code}{PATH_SEPARATOR}"
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.parent is None:
            if self.level != CentreLevel.CITY:
                raise ValidationError({"parent": _("县、乡镇和村级中心必须指定上级中心。")})
            return
        if level_below(self.parent.level) != self.level:
            raise ValidationError(
                {
                    "level": _("%(parent)s 是%(parent_level)s中心，它的下级应为%(level)s。")
                    % {
                        "parent": self.parent.name,
                        "parent_level": self.parent.get_level_display(),
                        "level": CentreLevel(level_below(self.parent.level)).label
                        if level_below(self.parent.level)
                        else _("（村级中心没有下级）"),
                    }
                }
            )

    @property
    def depth(self) -> int:
        return self.path.count(PATH_SEPARATOR) - 1


class Queue(models.Model):
    """A line of people waiting for one kind of service in a hall (综合受理, 不动产登记 …).
    Its one-letter code prefixes its ticket numbers (A017)."""

    centre = models.ForeignKey(
        Centre, verbose_name=_("服务中心"), on_delete=models.CASCADE, related_name="queues"
    )
    code = models.CharField(_("队列代码"), max_length=1, validators=[queue_code_validator])
    name = models.CharField(_("名称"), max_length=50)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        ordering = ["centre", "code"]
        verbose_name = _("排队队列")
        verbose_name_plural = _("排队队列")
        constraints = [
            models.UniqueConstraint(fields=["centre", "code"], name="queue_code_per_centre")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ServiceWindow(models.Model):
    """A counter of a hall (3号窗口) and the queues its clerk calls from."""

    centre = models.ForeignKey(
        Centre, verbose_name=_("服务中心"), on_delete=models.CASCADE, related_name="windows"
    )
    number = models.PositiveSmallIntegerField(_("窗口号"))
    name = models.CharField(_("名称"), max_length=50, blank=True)
    queues = models.ManyToManyField(Queue, verbose_name=_("服务队列"), related_name="windows")
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        ordering = ["centre", "number"]
        verbose_name = _("服务窗口")
        verbose_name_plural = _("服务窗口")
        constraints = [
            models.UniqueConstraint(fields=["centre", "number"], name="window_number_per_centre")
        ]

    def __str__(self) -> str:
        return _("%(number)s号窗口") % {"number": self.number}
