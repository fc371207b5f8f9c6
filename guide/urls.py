from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import views
from .sitemaps import SITEMAPS

app_name = "guide"

urlpatterns = [
    path("guide/", views.guide_home, name="home"),
    path("guide/items/<str:code>/", views.item_page, name="item"),
    path("guide/bundles/<str:code>/", views.bundle_page, name="bundle"),
]

# Outside the namespace: the site's front door and what search engines look for by name.
site_urlpatterns = [
    path("", views.home, name="front"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
]
