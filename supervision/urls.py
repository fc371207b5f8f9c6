from django.urls import path

from .views import audit, network

app_name = "supervision"

urlpatterns = [
    path("network/", network.network_page, name="network"),
    path("audit/", audit.audit_page, name="audit"),
    path("audit/export.csv", audit.audit_csv, name="audit_csv"),
]
