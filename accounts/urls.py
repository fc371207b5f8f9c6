"""The staff sign-in pages, under django-two-factor-auth's names (``two_factor:login``...),
which its views and ``LOGIN_URL`` use. Its profile and disable pages are left out: a
staff member who must use the second factor cannot switch it off; an administrator
resets a lost authenticator by deleting the device in the admin."""

from django.urls import path

from . import views

app_name = "two_factor"

urlpatterns = [
    path("account/login/", views.LoginView.as_view(), name="login"),
    path("account/two_factor/setup/", views.SetupView.as_view(), name="setup"),
    path("account/two_factor/qrcode/", views.QRGeneratorView.as_view(), name="qr"),
    path(
        "account/two_factor/setup/complete/",
        views.SetupCompleteView.as_view(),
        name="setup_complete",
    ),
    path(
        "account/two_factor/backup/tokens/",
        views.RecoveryCodesView.as_view(),
        name="backup_tokens",
    ),
]
