"""The public verification page (/verify/<token>/): status, masked holder, the PDF's
SHA-256, and a re-check of an uploaded PDF's seal and hash, or of an uploaded OFD's SM2
seal and digests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from .forms import PdfCheckForm
from .selectors import certificate_get_by_token, certificate_public_view
from .services.ofd import ofd_upload_check
from .signing import pdf_check_signature
from .throttles import CertificateVerifyThrottle


@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest, token: str) -> HttpResponse:
    if not CertificateVerifyThrottle().allow_request(request, None):
        return render(request, "certificates/verify_throttled.html", status=429)
    certificate = certificate_get_by_token(token=token)
    if certificate is None:
        return render(request, "certificates/verify_not_found.html", status=404)
    upload_check = None
    form = PdfCheckForm()
    if request.method == "POST":
        form = PdfCheckForm(request.POST, request.FILES)
        if form.is_valid() and form.document_kind == "ofd":
            result = ofd_upload_check(data=form.cleaned_data["pdf"].read(), certificate=certificate)
            upload_check = {"kind": "ofd", "ofd": result, "genuine": result.genuine}
        elif form.is_valid():
            data = form.cleaned_data["pdf"].read()
            check = pdf_check_signature(pdf=data)
            upload_check = {
                "kind": "pdf",
                "check": check,
                "hash_matches": bool(certificate.pdf_sha256)
                and check.sha256 == certificate.pdf_sha256,
                "seal_matches": bool(certificate.seal_fingerprint)
                and check.signer_fingerprint == certificate.seal_fingerprint,
            }
            upload_check["genuine"] = (
                check.is_valid and upload_check["hash_matches"] and upload_check["seal_matches"]
            )
    return render(
        request,
        "certificates/verify.html",
        {
            "view": certificate_public_view(certificate=certificate),
            "form": form,
            "upload_check": upload_check,
        },
    )
