"""What the settings add to ``MIDDLEWARE`` when ``METRICS_ENABLED`` (no Django import here:
the settings module reads it)."""

# django-prometheus's request counter (no view hook) and ours (operations/metrics.py).
METRICS_MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "operations.metrics.RequestMetricsMiddleware",
]
