from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from departments.identifiers import mask_id_number, mask_name, validate_resident_id, validate_uscc

from ..constants import ApplicantKind, IdType


class Applicant(models.Model):
    """A person (resident ID) or an organisation (unified social credit code)."""

    kind = models.CharField(_("类别"), max_length=20, choices=ApplicantKind.choices)
    id_type = models.CharField(_("证件类型"), max_length=20, choices=IdType.choices)
    id_number = models.CharField(_("证件号码"), max_length=18)
    name = models.CharField(_("姓名/名称"), max_length=200)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=100, blank=True)
    id_check_overridden = models.BooleanField(
        _("校验码例外"),
        default=False,
        help_text=_("代码未通过校验，但法人库登记的正是此代码，经记录后接受。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("申请人")
        verbose_name_plural = _("申请人")
        constraints = [
            models.UniqueConstraint(fields=["id_type", "id_number"], name="applicant_unique_id"),
            models.CheckConstraint(
                condition=(Q(kind=ApplicantKind.PERSON) & Q(id_type=IdType.RESIDENT_ID))
                | (Q(kind=ApplicantKind.ORGANISATION) & Q(id_type=IdType.USCC)),
                name="applicant_kind_matches_id_type",
            ),
        ]
        indexes = [models.Index(fields=["name"], name="applicant_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.masked_id_number})"

    def clean(self) -> None:
        validator = validate_resident_id if self.id_type == IdType.RESIDENT_ID else validate_uscc
        if not self.id_check_overridden:
            try:
                validator(self.id_number)
            except ValidationError as error:
                raise ValidationError({"id_number": error.messages}) from None

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name) if self.kind == ApplicantKind.PERSON else self.name

    @property
    def id_suffix(self) -> str:
        return self.id_number[-4:]
