"""The catalogue: who decides, what can be asked for, and which data can be shared.

``departments`` never imports ``cases``: the catalogue is the stable ground the
cases stand on.

One module per concern; every model is importable from here, as it always was.
"""

from __future__ import annotations

from .catalogue import (
    Bundle,
    BundleItem,
    CertificateType,
    MaterialRequirement,
    MaterialType,
    ServiceItem,
)
from .organisation import Department, StaffProfile
from .registries import Registry, RegistryRecord, SharingAgreement
from .validators import code_validator, department_code_validator
from .working_calendar import WorkingCalendarDay, WorkingCalendarYear

__all__ = [
    "Bundle",
    "BundleItem",
    "CertificateType",
    "Department",
    "MaterialRequirement",
    "MaterialType",
    "Registry",
    "RegistryRecord",
    "ServiceItem",
    "SharingAgreement",
    "StaffProfile",
    "WorkingCalendarDay",
    "WorkingCalendarYear",
    "code_validator",
    "department_code_validator",
]
