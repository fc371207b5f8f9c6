"""The front desk (综合窗口): intake that asks only for what the government does not have.

One module per step: ``core`` (the case's own transitions), ``applicants``
(identification), ``prefill`` (from the registries), ``resolution`` (the
materials checklist) and ``reuse`` (what the applicant handed over before, that it
looks up), ``materials`` (scans and declined evidence), ``notices``
(the one-time notification and acceptance by law), ``flow`` (the journey the
pages and the API run).
"""

from .applicants import (
    ApplicantInputError,
    applicant_identifier_check,
    applicant_update,
    case_form_update,
    intake_department,
)
from .core import (
    EmptyCaseError,
    case_accept,
    case_create,
    case_promised_date,
    case_refuse,
    case_submit,
    case_supplement,
    case_withdraw,
)
from .flow import (
    IntakeInputError,
    IntakeResult,
    case_intake_submit,
    case_visit_record,
    intake_choice,
    intake_start,
)
from .materials import UploadError, case_material_decline_evidence, case_material_upload
from .notices import (
    NoticeRefusedError,
    case_notice_for_print,
    case_notices,
    case_request_materials,
    cases_deem_accepted,
    notice_deadline,
)
from .prefill import case_prefill
from .resolution import (
    ChecklistEntry,
    case_checklist,
    case_materials_resolve,
    checklist_missing,
    checklist_reuse_rate,
)

__all__ = [
    "ApplicantInputError",
    "ChecklistEntry",
    "EmptyCaseError",
    "IntakeInputError",
    "IntakeResult",
    "NoticeRefusedError",
    "UploadError",
    "applicant_identifier_check",
    "applicant_update",
    "case_accept",
    "case_checklist",
    "case_create",
    "case_form_update",
    "case_intake_submit",
    "case_material_decline_evidence",
    "case_material_upload",
    "case_materials_resolve",
    "case_notice_for_print",
    "case_notices",
    "case_prefill",
    "case_promised_date",
    "case_refuse",
    "case_request_materials",
    "case_submit",
    "case_supplement",
    "case_visit_record",
    "case_withdraw",
    "cases_deem_accepted",
    "checklist_missing",
    "checklist_reuse_rate",
    "intake_choice",
    "intake_department",
    "intake_start",
    "notice_deadline",
]
