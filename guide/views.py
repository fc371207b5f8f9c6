"""The guide's pages: open to anyone, read-only, meant to be found by search engines.

``/`` is the guide for everyone who is not signed in as staff; staff keep their start
(the window or the back office, ``cases.views.home``). ``/guide/`` is the guide for all.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from cases.views import home as staff_home
from departments.constants import Audience

from .forms import GuideSearchForm
from .selectors import (
    guide_bundle_get,
    guide_bundle_materials,
    guide_bundles,
    guide_departments,
    guide_item_get,
    guide_item_materials,
    guide_search,
)

PERSON_PLAIN = gettext_lazy("个人（自然人）")
ORGANISATION_PLAIN = gettext_lazy("企业和其他组织（法人）")
AUDIENCE_PLAIN = {
    Audience.PERSON: (PERSON_PLAIN,),
    Audience.ORGANISATION: (ORGANISATION_PLAIN,),
    Audience.BOTH: (PERSON_PLAIN, ORGANISATION_PLAIN),
}


def _canonical(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return staff_home(request)
    return guide_home(request)


@require_safe
def guide_home(request: HttpRequest) -> HttpResponse:
    form = GuideSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    result = guide_search(query=query) if query else None
    return render(
        request,
        "guide/home.html",
        {
            "form": form,
            "query": query,
            "result": result,
            "departments": guide_departments(),
            "bundles": guide_bundles(),
            "canonical_url": _canonical(request, reverse("front")),
        },
        status=200 if form.is_valid() else 400,
    )


@require_safe
def item_page(request: HttpRequest, code: str) -> HttpResponse:
    item = guide_item_get(code=code)
    if item is None:
        raise Http404(_("未找到该事项。"))
    return render(
        request,
        "guide/item.html",
        {
            "item": item,
            "materials": guide_item_materials(item=item),
            "audiences": AUDIENCE_PLAIN.get(item.audience, ()),
            "canonical_url": _canonical(request, reverse("guide:item", args=[item.code])),
        },
    )


@require_safe
def bundle_page(request: HttpRequest, code: str) -> HttpResponse:
    bundle = guide_bundle_get(code=code)
    if bundle is None:
        raise Http404(_("未找到该一件事。"))
    bundle_items = list(bundle.bundle_items.all())
    return render(
        request,
        "guide/bundle.html",
        {
            "bundle": bundle,
            "bundle_items": bundle_items,
            "materials": guide_bundle_materials(bundle=bundle),
            "total_fee": sum((bundle_item.item.fee for bundle_item in bundle_items), start=0),
            "audiences": AUDIENCE_PLAIN.get(bundle.audience, ()),
            "canonical_url": _canonical(request, reverse("guide:bundle", args=[bundle.code])),
        },
    )


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    """The guide is for search engines; the staff pages, the personal space and the API
    are not."""
    lines = [
        "User-agent: *",
        "Allow: /",
        "Allow: /guide/",
        *(f"Disallow: {path}" for path in ("/admin/", "/window/", "/me/", "/api/")),
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
