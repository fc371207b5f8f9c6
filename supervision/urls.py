from django.urls import path

from .views import audit, calendar, dashboard, network, rectifications

app_name = "supervision"

urlpatterns = [
    path("", dashboard.dashboard_page, name="dashboard"),
    path("alerts/", dashboard.alerts_page, name="alerts"),
    path("network/", network.network_page, name="network"),
    path("audit/", audit.audit_page, name="audit"),
    path("calendar/", calendar.calendar_page, name="calendar"),
    path("audit/export.csv", audit.audit_csv, name="audit_csv"),
    path("rectifications/", rectifications.rectification_page, name="rectifications"),
    path(
        "rectifications/<int:pk>/callback/",
        rectifications.rectification_callback,
        name="rectification_callback",
    ),
    path(
        "rectifications/<int:pk>/close/",
        rectifications.rectification_finish,
        name="rectification_close",
    ),
]
