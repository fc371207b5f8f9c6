"""Reads for citizens: the public tracking view and the applicant's own lists.

One module per concern: ``public`` (the tracking number and what the tracking page
shows), ``personal`` (the signed-in applicant's cases and certificates), ``data_reads``
(who read my data), ``catalogue`` (what this applicant may apply for online).

Everything here is filtered by the applicant first; nothing reads another
applicant's rows. Lists cost a fixed number of queries whatever their length.
Reading these lists never writes a data-access log entry (that log is for reads
of a department's registry, not for a citizen reading about themselves).
"""

from .catalogue import LIFE_EVENTS_BY_KIND, online_catalogue, online_life_events
from .data_reads import (
    READ_FOR_CASE,
    READ_IN_BATCH,
    DataRead,
    applicant_batch_reads,
    applicant_data_read_keys,
    applicant_data_reads,
    applicant_data_reads_page,
    data_reads_resolve,
)
from .personal import (
    applicant_case_get,
    applicant_cases,
    applicant_certificate_get,
    applicant_certificates,
)
from .public import (
    DELIVERY_CAME_BACK_STATUSES,
    ID_SUFFIX_PATTERN,
    TRACKING_NO_PATTERN,
    _event_label,
    case_for_tracking,
    case_missing_materials,
    case_public_situation,
    case_public_timeline,
    case_public_view,
    case_supplement_requests,
    certificate_is_unsigned,
    tracking_no_clean,
)

__all__ = [
    "DELIVERY_CAME_BACK_STATUSES",
    "ID_SUFFIX_PATTERN",
    "LIFE_EVENTS_BY_KIND",
    "READ_FOR_CASE",
    "READ_IN_BATCH",
    "TRACKING_NO_PATTERN",
    "DataRead",
    "_event_label",  # citizens.tracking imports it from here
    "applicant_batch_reads",
    "applicant_case_get",
    "applicant_cases",
    "applicant_certificate_get",
    "applicant_certificates",
    "applicant_data_read_keys",
    "applicant_data_reads",
    "applicant_data_reads_page",
    "case_for_tracking",
    "case_missing_materials",
    "case_public_situation",
    "case_public_timeline",
    "case_public_view",
    "case_supplement_requests",
    "certificate_is_unsigned",
    "data_reads_resolve",
    "online_catalogue",
    "online_life_events",
    "tracking_no_clean",
]
