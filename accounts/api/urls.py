from django.urls import path

from .views import TokenSignInView

urlpatterns: list = [
    path("auth/token/", TokenSignInView.as_view(), name="auth-token"),
]
