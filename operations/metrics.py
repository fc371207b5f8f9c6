"""``/metrics`` for Prometheus (django-prometheus), off unless ``METRICS_ENABLED``.

* Off (the default): ``/metrics`` answers 404, and no metrics middleware runs.
* On: only clients in ``METRICS_ALLOWED_NETWORKS`` (default the loopback addresses) get
  the metrics; the address is the trusted one (``onewindow/client_address.py``), so a
  forged ``X-Forwarded-For`` cannot get in, and others get 403.

Requests are counted by django-prometheus's ``PrometheusBeforeMiddleware`` and by
``RequestMetricsMiddleware`` below, into django-prometheus's own metrics (the names its
dashboards know). Its ``PrometheusAfterMiddleware`` is not used: ours reads the view's
name from the resolved URL after the answer instead, without a view hook.

At each scrape the domain figures are read from the database in three grouped queries
(``operations.selectors.domain_figures``): open cases per state, overdue approvals, and
outbox jobs not done per kind and state.

Several web worker processes (granian ``--workers 2``): each counts its own requests; set
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multi-process mode, an empty directory
per start) to have every scrape add them up.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import time
from collections.abc import Callable, Iterator, Sequence

import prometheus_client
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.middleware import Metrics
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from onewindow.client_address import client_address

from .metrics_settings import METRICS_MIDDLEWARE  # noqa: F401 - re-exported
from .selectors import domain_figures

UNNAMED_VIEW = "<unnamed view>"


class RequestMetricsMiddleware:
    """Responses by status, view and method, and each request's time by view and method.

    No ``process_view`` / ``process_exception``: the tracking fast path stays on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.metrics = Metrics.get_instance()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match is not None else None) or UNNAMED_VIEW
        method = request.method or ""
        self.metrics.responses_by_status_view_method.labels(
            status=str(response.status_code), view=view, method=method
        ).inc()
        self.metrics.requests_latency_by_view_method.labels(view=view, method=method).observe(
            time.perf_counter() - started
        )
        return response


class DomainCollector(Collector):
    """The case workload, read from the database at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        figures = domain_figures()
        cases = GaugeMetricFamily(
            "onewindow_cases_open", "Cases not yet closed, by state", labels=["state"]
        )
        for state, count in figures.open_cases.items():
            cases.add_metric([state], count)
        yield cases
        yield GaugeMetricFamily(
            "onewindow_approvals_overdue",
            "Approvals whose clock runs (PENDING, IN_REVIEW) past their due date",
            value=figures.overdue_approvals,
        )
        jobs = GaugeMetricFamily(
            "onewindow_jobs_open",
            "Outbox jobs not done yet, by kind and state (pending, running)",
            labels=["kind", "state"],
        )
        for (kind, state), count in sorted(figures.open_jobs.items()):
            jobs.add_metric([kind, state], count)
        yield jobs


@functools.lru_cache(maxsize=8)
def _networks(
    configured: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for entry in configured:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"METRICS_ALLOWED_NETWORKS: {entry!r} is not an IP address or network "
                "(e.g. 127.0.0.1/32, 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def address_allowed(address: str, configured: Sequence[str]) -> bool:
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    parsed = getattr(parsed, "ipv4_mapped", None) or parsed
    return any(parsed in network for network in _networks(tuple(configured)))


def _process_registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return prometheus_client.REGISTRY


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_ENABLED:
        raise Http404
    if not address_allowed(client_address(request), settings.METRICS_ALLOWED_NETWORKS):
        return HttpResponseForbidden(
            _("此地址不允许读取监控指标。"), content_type="text/plain; charset=utf-8"
        )
    domain = CollectorRegistry(auto_describe=False)
    domain.register(DomainCollector())
    body = prometheus_client.generate_latest(
        _process_registry()
    ) + prometheus_client.generate_latest(domain)
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
