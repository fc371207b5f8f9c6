from django.urls import path

from .views import portal, public, window

app_name = "lottery"

urlpatterns = [
    path("me/lottery/", portal.me_lottery, name="me"),
    path("me/lottery/rounds/<str:round_code>/apply/", portal.me_lottery_apply, name="me_apply"),
    path(
        "me/lottery/applications/<str:application_no>/appeal/",
        portal.me_lottery_appeal,
        name="me_appeal",
    ),
    path("window/lottery/", window.window_lottery, name="window"),
    path("lottery/", public.rounds_page, name="rounds"),
    path("lottery/lookup/", public.lookup_page, name="lookup"),
    path("lottery/<str:code>/", public.round_page, name="round"),
    path("lottery/<str:code>/pool.csv", public.round_pool, name="round_pool"),
]
