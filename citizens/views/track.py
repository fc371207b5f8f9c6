"""The public tracking page /track/: tracking number + last four characters of the ID number."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..forms import TrackForm
from ..selectors import tracking_no_clean
from ..throttles import TRACK_FAILURES, client_ident, track_block_message
from ..tracking import track_lookup


def _no_store(response: HttpResponse) -> HttpResponse:
    response.headers["Cache-Control"] = "no-store, private"
    return response


# A read-only look-up with no session behind it, so nothing to forge: without a CSRF
# token in the form, "not found" is the very same bytes for an unknown number and a
# wrong suffix, and the suffix stays out of URLs and server logs (POST, not GET).
@csrf_exempt
@require_http_methods(["GET", "POST"])
def track_page(request: HttpRequest, tracking_no: str = "") -> HttpResponse:
    """The receipt's QR code opens ``/track/<number>/``: the number is filled in, the
    applicant types the last four characters of the ID number. The page says nothing
    about whether the number exists until both are given."""
    if request.method == "GET":
        initial = {"tracking_no": tracking_no.strip().upper()[:20]} if tracking_no else {}
        return _no_store(
            render(request, "citizens/track.html", {"form": TrackForm(initial=initial)})
        )
    client = client_ident(request)
    tracking_no = tracking_no_clean(request.POST.get("tracking_no", ""))
    block = TRACK_FAILURES.blocked(client=client, tracking_no=tracking_no)
    if block is not None:
        response = render(
            request,
            "citizens/throttled.html",
            {"message": track_block_message(block) if block.reason == "case" else ""},
            status=429,
        )
        response.headers["Retry-After"] = str(block.retry_after)
        return _no_store(response)
    form = TrackForm(request.POST)
    if not form.is_valid():
        return _no_store(render(request, "citizens/track.html", {"form": form}, status=400))
    # The API's lookup: one query on PostgreSQL, the same answer everywhere.
    view = track_lookup(
        tracking_no=form.cleaned_data["tracking_no"], id_suffix=form.cleaned_data["id_suffix"]
    )
    if view is None:
        TRACK_FAILURES.record(client=client, tracking_no=tracking_no)
        # The form comes back empty: echoing the input would make the two answers differ.
        return _no_store(
            render(
                request, "citizens/track.html", {"form": TrackForm(), "not_found": True}, status=404
            )
        )
    for certificate in view["certificates"]:
        certificate["verify_url"] = request.build_absolute_uri(certificate["verify_path"])
    return _no_store(render(request, "citizens/track_result.html", {"view": view}))
