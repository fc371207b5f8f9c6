from .applicants import Applicant
from .approvals import Approval
from .base import AppendOnlyModel, AuditChainHead, NumberSequence
from .cases import Case, CaseEvent, Rating, Visit
from .certificates import Certificate
from .deliveries import Delivery
from .materials import CaseMaterial, Verification

__all__ = [
    "AppendOnlyModel",
    "Applicant",
    "AuditChainHead",
    "Approval",
    "Case",
    "CaseEvent",
    "CaseMaterial",
    "Certificate",
    "Delivery",
    "NumberSequence",
    "Rating",
    "Verification",
    "Visit",
]
