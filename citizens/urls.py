from django.urls import path

from .views import apply, me, track

app_name = "citizens"

urlpatterns = [
    path("track/", track.track_page, name="track"),
    path("track/<str:tracking_no>/", track.track_page, name="track_number"),
    path("me/", me.me_home, name="me"),
    path("me/sign-in/", me.sign_in, name="sign_in"),
    path("me/sign-in/code/", me.sign_in_code, name="sign_in_code"),
    path("me/sign-out/", me.sign_out, name="sign_out"),
    path("me/cases/<str:tracking_no>/", me.me_case, name="me_case"),
    path("me/cases/<str:tracking_no>/rating/", me.me_case_rate, name="me_case_rate"),
    path(
        "me/cases/<str:tracking_no>/supplements/<int:approval_id>/",
        me.me_case_supplement,
        name="me_case_supplement",
    ),
    path("me/certificates/", me.me_certificates, name="me_certificates"),
    path(
        "me/certificates/<int:certificate_id>/pdf/",
        me.me_certificate_pdf,
        name="me_certificate_pdf",
    ),
    path("me/data-access/", me.me_data_reads, name="me_data_reads"),
    path("me/my-data.json", me.me_data_download, name="me_data_download"),
    path("me/apply/", apply.apply_choose, name="apply"),
    path("me/apply/<str:tracking_no>/", apply.apply_case, name="apply_case"),
    path("me/apply/<str:tracking_no>/upload/", apply.apply_upload, name="apply_upload"),
    path(
        "me/apply/<str:tracking_no>/decline/<str:material_code>/",
        apply.apply_decline,
        name="apply_decline",
    ),
    path("me/apply/<str:tracking_no>/forms/", apply.apply_forms, name="apply_forms"),
    path("me/apply/<str:tracking_no>/submit/", apply.apply_submit, name="apply_submit"),
]
