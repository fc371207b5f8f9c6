from django.urls import path

from .views import verify_page

app_name = "certificates"

urlpatterns = [path("verify/<str:token>/", verify_page, name="verify")]
