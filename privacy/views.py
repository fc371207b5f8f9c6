"""The citizen downloads their own data (PIPL art. 45): a /me/ page served by the privacy
app, which assembles the export (``selectors.personal_data_export``)."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from cases.models import Applicant
from citizens.session import citizen_required

from .selectors import personal_data_export


@citizen_required
def me_data_download(request: HttpRequest, *, applicant: Applicant) -> HttpResponse:
    """Download my data: one UTF-8 JSON file, Chinese as it is."""
    document = personal_data_export(applicant=applicant)
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2, default=str),
        content_type="application/json; charset=utf-8",
    )
    filename = f"onewindow-my-data-{timezone.localdate():%Y%m%d}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
