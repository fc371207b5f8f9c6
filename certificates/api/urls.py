from django.urls import path

from .views import CertificateDocumentVerifyView, CertificateVerifyView

urlpatterns = [
    path(
        "certificates/verify/",
        CertificateDocumentVerifyView.as_view(),
        name="certificate-document-verify",
    ),
    path(
        "certificates/verify/<str:token>/",
        CertificateVerifyView.as_view(),
        name="certificate-verify",
    ),
]
