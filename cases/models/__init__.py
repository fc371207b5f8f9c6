from .applicants import Applicant
from .approvals import Approval
from .base import AppendOnlyModel, NumberSequence
from .cases import Case, CaseEvent, Rating, Visit
from .certificates import Certificate
from .deliveries import Delivery
from .jobs import Job
from .materials import CaseMaterial, Verification

__all__ = [
    "AppendOnlyModel",
    "Applicant",
    "Approval",
    "Case",
    "CaseEvent",
    "CaseMaterial",
    "Certificate",
    "Delivery",
    "Job",
    "NumberSequence",
    "Rating",
    "Verification",
    "Visit",
]
