from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("me/cases/<str:tracking_no>/pay/", views.me_case_pay, name="me_pay"),
    path("window/cases/<str:tracking_no>/fee/waive/", views.case_fee_waive, name="waive"),
    path("payments/dev/<str:order_id>/", views.dev_page, name="dev_page"),
]

# Under /api/v1/ (onewindow/urls.py): the gateway's asynchronous notification.
api_urlpatterns = [path("payments/notify/", views.notify, name="payments_notify")]
