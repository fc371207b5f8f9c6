from django.urls import path

from .views import (
    ApplicationAppealView,
    ApplicationLookupView,
    RoundApplicationCreateView,
    RoundCloseView,
    RoundDetailView,
    RoundListView,
    RoundPoolView,
    RoundResultView,
)

urlpatterns: list = [
    path("lottery/rounds/", RoundListView.as_view(), name="lottery-rounds"),
    path("lottery/rounds/<str:code>/", RoundDetailView.as_view(), name="lottery-round"),
    path("lottery/rounds/<str:code>/close/", RoundCloseView.as_view(), name="lottery-round-close"),
    path(
        "lottery/rounds/<str:code>/applications/",
        RoundApplicationCreateView.as_view(),
        name="lottery-round-applications",
    ),
    path("lottery/rounds/<str:code>/pool/", RoundPoolView.as_view(), name="lottery-round-pool"),
    path(
        "lottery/rounds/<str:code>/result/", RoundResultView.as_view(), name="lottery-round-result"
    ),
    path(
        "lottery/applications/<str:application_no>/",
        ApplicationLookupView.as_view(),
        name="lottery-application",
    ),
    path(
        "lottery/applications/<str:application_no>/appeal/",
        ApplicationAppealView.as_view(),
        name="lottery-application-appeal",
    ),
]
