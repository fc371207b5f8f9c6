from django.urls import path

from .views import CertificateVerifyView

urlpatterns = [
    path(
        "certificates/verify/<str:token>/",
        CertificateVerifyView.as_view(),
        name="certificate-verify",
    ),
]
