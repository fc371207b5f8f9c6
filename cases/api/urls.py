from django.urls import path

from .intake import CaseCreateView, CaseMaterialUploadView, CaseSubmitView

urlpatterns: list = [
    path("cases/", CaseCreateView.as_view(), name="case-create"),
    path(
        "cases/<str:tracking_no>/materials/",
        CaseMaterialUploadView.as_view(),
        name="case-materials",
    ),
    path("cases/<str:tracking_no>/submit/", CaseSubmitView.as_view(), name="case-submit"),
]
