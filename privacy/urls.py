from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("me/my-data.json", views.me_data_download, name="me_data_download"),
]
