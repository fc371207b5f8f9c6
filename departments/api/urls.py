from django.urls import path

from .catalogue import BundleDetailView, BundleListView, ItemDetailView, ItemListView
from .centres import CentreListView

urlpatterns: list = [
    path("items/", ItemListView.as_view(), name="items"),
    path("items/<str:code>/", ItemDetailView.as_view(), name="item"),
    path("bundles/", BundleListView.as_view(), name="bundles"),
    path("bundles/<str:code>/", BundleDetailView.as_view(), name="bundle"),
    # The service network: public, beside the catalogue (centres/ itself has no API).
    path("centres/", CentreListView.as_view(), name="centre-list"),
]
