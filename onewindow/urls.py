from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from cases.api.urls import urlpatterns as cases_api_urls
from certificates.api.urls import urlpatterns as certificates_api_urls
from citizens.api.urls import urlpatterns as citizens_api_urls
from departments.api.urls import urlpatterns as departments_api_urls

api_v1 = [
    *departments_api_urls,
    *cases_api_urls,
    *certificates_api_urls,
    *citizens_api_urls,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("schema/ui/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="schema-ui"),
]

urlpatterns = [
    path("", include("cases.urls")),
    path("", include("certificates.urls")),
    path("", include("citizens.urls")),
    path("admin/", admin.site.urls),
    path("supervision/", include("supervision.urls")),
    path("api/v1/", include((api_v1, "api"))),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Uploaded materials and signed certificates are never served as plain files, not
# even in development: every download goes through a view that checks who asks.
