from django.urls import path

from .views import network

app_name = "supervision"

urlpatterns = [
    path("network/", network.network_page, name="network"),
]
