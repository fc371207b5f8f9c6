"""The public pages (no sign-in): the rounds, one round's commitment, pool and result, the
pool file, and the look-up of a verdict by application number and the last four
characters of the ID number."""

from __future__ import annotations

import os

from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from ..api.throttles import lookup_blocked, lookup_failure_record
from ..forms import LookupForm
from ..selectors import (
    application_no_clean,
    application_number_exists,
    application_public_get,
    application_public_view,
    round_public_get,
    round_winners,
    rounds_public,
    winner_rows,
)

ROUNDS_PER_PAGE = 20
WINNERS_PER_PAGE = 200


@require_GET
def rounds_page(request: HttpRequest) -> HttpResponse:
    page = Paginator(rounds_public(), ROUNDS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "lottery/rounds.html", {"page": page})


@require_GET
def round_page(request: HttpRequest, code: str) -> HttpResponse:
    round_ = round_public_get(code=code)
    if round_ is None:
        raise Http404
    winners = None
    if round_.drawn_at is not None:
        winners = Paginator(round_winners(round_=round_), WINNERS_PER_PAGE).get_page(
            request.GET.get("page")
        )
    return render(
        request,
        "lottery/round.html",
        {
            "round": round_,
            "winners": winners,
            "winner_rows": winner_rows(list(winners)) if winners is not None else [],
            "first_rank": winners.start_index() if winners is not None else 0,
        },
    )


@require_GET
def round_pool(request: HttpRequest, code: str) -> HttpResponse:
    """The published pool file (``lottery_code,weight`` lines): its SHA-256 is the one the
    round page shows."""
    round_ = round_public_get(code=code)
    if round_ is None or not round_.pool_file:
        raise Http404
    try:
        handle = default_storage.open(round_.pool_file, "rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{round_.code}-{os.path.basename(round_.pool_file)}",
        content_type="text/csv; charset=us-ascii",
    )


def _no_store(response: HttpResponse) -> HttpResponse:
    response.headers["Cache-Control"] = "no-store, private"
    return response


# As on the tracking page: a read-only look-up with no session behind it, so nothing to
# forge; without a CSRF token, "not found" is the same page for an unknown number and a
# wrong suffix, and the suffix stays out of URLs and logs (POST). Misses are counted with
# the public API's limits, so the page and the API share one count.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def lookup_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _no_store(render(request, "lottery/lookup.html", {"form": LookupForm()}))
    number = application_no_clean(request.POST.get("application_no", ""))
    block = lookup_blocked(request=request, application_no=number)
    if block is not None:
        response = render(
            request, "citizens/throttled.html", {"message": block.message}, status=429
        )
        response.headers["Retry-After"] = str(block.retry_after)
        return _no_store(response)
    form = LookupForm(request.POST)
    if not form.is_valid():
        return _no_store(render(request, "lottery/lookup.html", {"form": form}, status=400))
    application = application_public_get(
        application_no=form.cleaned_data["application_no"],
        id_suffix=form.cleaned_data["id_suffix"],
    )
    if application is None:
        lookup_failure_record(
            request=request, application_no=number, exists=application_number_exists(number=number)
        )
        return _no_store(
            render(
                request,
                "lottery/lookup.html",
                {"form": LookupForm(), "not_found": True},
                status=404,
            )
        )
    return _no_store(
        render(
            request,
            "lottery/lookup_result.html",
            {"view": application_public_view(application=application)},
        )
    )
