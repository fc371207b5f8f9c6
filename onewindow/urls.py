from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api.urls import urlpatterns as accounts_api_urls
from appointments.api.urls import urlpatterns as appointments_api_urls
from cases.api.urls import urlpatterns as cases_api_urls
from certificates.api.urls import urlpatterns as certificates_api_urls
from citizens.api.urls import urlpatterns as citizens_api_urls
from departments.api.urls import urlpatterns as departments_api_urls
from guide.urls import site_urlpatterns as guide_site_urls
from hall.api.urls import urlpatterns as hall_api_urls
from lottery.api.urls import urlpatterns as lottery_api_urls
from payments.urls import api_urlpatterns as payments_api_urls

api_v1 = [
    *citizens_api_urls,  # first: public tracking is the busiest URL of the site
    *accounts_api_urls,
    *departments_api_urls,
    *cases_api_urls,
    *certificates_api_urls,
    *lottery_api_urls,
    *payments_api_urls,
    *hall_api_urls,
    *appointments_api_urls,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path(
        "schema/ui/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="schema-ui"
    ),
]

urlpatterns = [
    # The API first: the URL resolver tries patterns in order, and a tracking request
    # (the busiest) used to be tried against every page's pattern before it.
    path("api/v1/", include((api_v1, "api"))),
    # Before cases.urls: "/" is the public guide for all but signed-in staff (guide/views.py).
    path("", include(guide_site_urls)),
    path("", include("guide.urls")),
    path("", include("cases.urls")),
    path("", include("certificates.urls")),
    path("", include("citizens.urls")),
    path("", include("privacy.urls")),  # /me/my-data.json
    path("", include("lottery.urls")),  # /me/lottery/ and the public /lottery/ pages
    path("", include("hall.urls")),  # /hall/<centre>/… (kiosk, phone, display), /window/hall/
    path(
        "", include("appointments.urls")
    ),  # /me/appointments/, /window/appointments/, kiosk check-in
    path("", include("payments.urls")),  # /me/cases/…/pay/, the fee waiver, the dev gateway
    path("", include("notifications.urls")),  # /me/notifications/: how the citizen is told
    path("", include("accounts.urls")),  # staff sign-in: /account/login/, the second factor
    path("admin/", admin.site.urls),
    path("supervision/", include("supervision.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("operations.urls")),  # /health/ and /metrics
]

# Uploaded materials and signed certificates are never served as plain files, not
# even in development: every download goes through a view that checks who asks.

# JSON under /api/, Django's pages elsewhere (onewindow/errors.py).
handler400 = "onewindow.errors.bad_request"
handler403 = "onewindow.errors.permission_denied"
handler404 = "onewindow.errors.page_not_found"
handler500 = "onewindow.errors.server_error"
