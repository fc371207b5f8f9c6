from django.urls import path

from .views import AppointmentCreateView, AppointmentDetailView, SlotListView

urlpatterns: list = [
    path("centres/<str:code>/slots/", SlotListView.as_view(), name="appointment-slots"),
    path("appointments/", AppointmentCreateView.as_view(), name="appointment-create"),
    path("appointments/<str:number>/", AppointmentDetailView.as_view(), name="appointment-detail"),
]
