"""Cases in the Django admin: reviewers and supervisors read here; they never move a state.

Cases, approvals and certificates are created and moved only by ``cases.services``
(the window pages, the API and the tasks call them), so the admin shows them
read-only: no add, no delete, every field read-only. That also keeps the
protected FSM fields out of every form, where a ModelForm would otherwise try
to assign them and fail. Audit rows (events, the data-access log), ratings and
number sequences are view-only for everyone, superusers included.

Every list joins what it shows (``list_select_related``), so a changelist costs
the same number of queries for 3 rows and for 30.

One module per group of models; importing this package registers them all (Django's
autodiscovery imports ``cases.admin``). The shared mixins live in :mod:`.base` and are
re-exported here for the other apps' admins.
"""

from __future__ import annotations

from .approvals import SLA_COLOURS, ApprovalAdmin
from .base import (
    ConfinedInlineMixin,
    DepartmentScopedMixin,
    MissingIs404Mixin,
    NoDeleteActionMixin,
    ReadOnlyInline,
    ViewOnlyAdmin,
    WorkflowAdmin,
    applicant_label,
    editable_field_names,
    material_file_label,
)
from .cases import (
    ApplicantAdmin,
    ApprovalInline,
    CaseAdmin,
    CaseEventInline,
    CaseMaterialInline,
    VisitInline,
)
from .deliveries import CourierEventAdmin, DeliveryAdmin
from .events import CaseEventAdmin, RatingAdmin, VisitAdmin
from .materials import CaseMaterialAdmin, VerificationAdmin
from .system import AuditChainHeadAdmin, JobAdmin, NumberSequenceAdmin

__all__ = [
    "MissingIs404Mixin",
    "SLA_COLOURS",
    "ApplicantAdmin",
    "ApprovalAdmin",
    "ApprovalInline",
    "AuditChainHeadAdmin",
    "CaseAdmin",
    "CaseEventAdmin",
    "CaseEventInline",
    "CaseMaterialAdmin",
    "CaseMaterialInline",
    "ConfinedInlineMixin",
    "CourierEventAdmin",
    "DeliveryAdmin",
    "DepartmentScopedMixin",
    "JobAdmin",
    "NoDeleteActionMixin",
    "NumberSequenceAdmin",
    "RatingAdmin",
    "ReadOnlyInline",
    "VerificationAdmin",
    "ViewOnlyAdmin",
    "VisitAdmin",
    "VisitInline",
    "WorkflowAdmin",
    "applicant_label",
    "editable_field_names",
    "material_file_label",
]
