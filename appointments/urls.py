from django.urls import path

from .views import kiosk, portal, window

app_name = "appointments"

urlpatterns = [
    path("me/appointments/", portal.me_appointments, name="me"),
    path(
        "me/appointments/<str:number>/cancel/",
        portal.me_appointment_cancel,
        name="me_cancel",
    ),
    path("window/appointments/", window.window_appointments, name="window"),
    path("hall/<str:centre_code>/check-in/", kiosk.kiosk_check_in, name="check_in"),
]
