"""Health and metrics, at the paths the deployment expects: ``/health/`` (exempt from
the HTTPS redirect, see onewindow/settings/prod.py and deploy/nginx) and ``/metrics``."""

from django.urls import path

from .health import HealthView
from .metrics import metrics_view

app_name = "operations"

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("metrics", metrics_view, name="metrics"),
]
