from django.urls import path

from .views import apply, delegation, me, oidc, sign_up, track

app_name = "citizens"

urlpatterns = [
    path("track/", track.track_page, name="track"),
    path("track/<str:tracking_no>/", track.track_page, name="track_number"),
    path("me/", me.me_home, name="me"),
    path("me/sign-in/", me.sign_in, name="sign_in"),
    path("me/sign-in/code/", me.sign_in_code, name="sign_in_code"),
    path("me/sign-out/", me.sign_out, name="sign_out"),
    path("me/sign-in/province/", oidc.oidc_start, name="oidc_start"),
    path("me/sign-in/province/callback/", oidc.oidc_callback, name="oidc_callback"),
    path("me/sign-up/", sign_up.sign_up, name="sign_up"),
    path("me/sign-up/code/", sign_up.sign_up_code, name="sign_up_code"),
    path("me/organisations/", delegation.me_organisations, name="me_organisations"),
    path("me/organisations/act-for/", delegation.me_act_for, name="me_act_for"),
    path("me/organisations/act-as-self/", delegation.me_act_as_self, name="me_act_as_self"),
    path(
        "me/organisations/delegations/", delegation.me_delegation_grant, name="me_delegation_grant"
    ),
    path(
        "me/organisations/delegations/<int:delegation_id>/revoke/",
        delegation.me_delegation_revoke,
        name="me_delegation_revoke",
    ),
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
