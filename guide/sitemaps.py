"""The guide's pages for search engines (/sitemap.xml)."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from departments.models import Bundle, ServiceItem

from .selectors import guide_sitemap_bundle_codes, guide_sitemap_item_codes


class GuideHomeSitemap(Sitemap):
    changefreq = "weekly"
    priority = 1.0

    def items(self) -> list[str]:
        return ["front"]

    def location(self, item: str) -> str:
        return reverse(item)


class GuideItemSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return guide_sitemap_item_codes()

    def location(self, item: ServiceItem) -> str:
        return reverse("guide:item", args=[item.code])


class GuideBundleSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.9

    def items(self):
        return guide_sitemap_bundle_codes()

    def location(self, item: Bundle) -> str:
        return reverse("guide:bundle", args=[item.code])


SITEMAPS = {"home": GuideHomeSitemap, "bundles": GuideBundleSitemap, "items": GuideItemSitemap}
