from .applicants import Applicant
from .approvals import Approval
from .base import AppendOnlyModel, AuditChainHead, NumberSequence
from .cases import Case, CaseEvent, Rating, Visit
from .deliveries import CourierEvent, Delivery
from .jobs import Job
from .materials import CaseMaterial, Verification

__all__ = [
    "AppendOnlyModel",
    "Applicant",
    "AuditChainHead",
    "Approval",
    "Case",
    "CaseEvent",
    "CaseMaterial",
    "CourierEvent",
    "Delivery",
    "Job",
    "NumberSequence",
    "Rating",
    "Verification",
    "Visit",
]
