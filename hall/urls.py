from django.urls import path

from .views import public, window

app_name = "hall"

urlpatterns = [
    path("hall/<str:code>/kiosk/", public.kiosk, name="kiosk"),
    path("hall/<str:code>/take/", public.take, name="take"),
    path("hall/<str:code>/tickets/<uuid:token>/", public.ticket_page, name="ticket"),
    path("hall/<str:code>/display/", public.display, name="display"),
    path("hall/<str:code>/display.json", public.display_json, name="display_json"),
    path("window/hall/", window.window_page, name="window"),
    path("window/hall/call-next/", window.call_next, name="call_next"),
    path("window/hall/tickets/<int:pk>/<str:action>/", window.ticket_action, name="ticket_action"),
]
