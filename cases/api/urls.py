from django.urls import path

from .deliveries import CaseDeliveryCreateView, CourierWebhookView

urlpatterns: list = [
    path(
        "cases/<str:tracking_no>/delivery/",
        CaseDeliveryCreateView.as_view(),
        name="case-delivery",
    ),
    path("deliveries/webhook/", CourierWebhookView.as_view(), name="delivery-webhook"),
]
