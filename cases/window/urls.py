from django.urls import path

from . import checklist, handout, views

app_name = "window"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("intake/", views.intake_new, name="intake"),
    path("intake/catalogue/", views.catalogue_search, name="catalogue"),
    path("cases/<str:tracking_no>/", checklist.case_detail, name="case"),
    path("cases/<str:tracking_no>/applicant/", checklist.applicant_save, name="applicant"),
    path("cases/<str:tracking_no>/forms/", checklist.forms_save, name="forms"),
    path("cases/<str:tracking_no>/materials/", checklist.material_upload, name="upload"),
    path(
        "cases/<str:tracking_no>/materials/<str:material_code>/decline/",
        checklist.evidence_decline,
        name="decline",
    ),
    path("cases/<str:tracking_no>/submit/", checklist.case_submit, name="submit"),
    path("cases/<str:tracking_no>/receipt/", views.receipt, name="receipt"),
    path("cases/<str:tracking_no>/notice/", views.notice, name="notice"),
    path("cases/<str:tracking_no>/handout/", handout.handout, name="handout"),
    path("cases/<str:tracking_no>/handout/collect/", handout.handout_collect, name="collect"),
    path("cases/<str:tracking_no>/handout/courier/", handout.handout_courier, name="courier"),
    path(
        "cases/<str:tracking_no>/certificates/<int:certificate_id>/pdf/",
        handout.certificate_pdf,
        name="certificate_pdf",
    ),
    path("cases/<str:tracking_no>/denial/", handout.denial_notice, name="denial_notice"),
    path("cases/<str:tracking_no>/denial/handed-out/", handout.denial_hand_out, name="denial"),
]
