from django.urls import path

from .views import TrackView

urlpatterns = [path("track/<str:tracking_no>/", TrackView.as_view(), name="track")]
