from django.urls import path

from .views import CallNextView, DisplayView, TicketTakeView

urlpatterns: list = [
    path("centres/<str:code>/tickets/", TicketTakeView.as_view(), name="hall-ticket-take"),
    path("centres/<str:code>/call-next/", CallNextView.as_view(), name="hall-call-next"),
    path("centres/<str:code>/display/", DisplayView.as_view(), name="hall-display"),
]
