from django.urls import path

from .catalogue import BundleListView, ItemListView

urlpatterns: list = [
    path("items/", ItemListView.as_view(), name="items"),
    path("bundles/", BundleListView.as_view(), name="bundles"),
]
