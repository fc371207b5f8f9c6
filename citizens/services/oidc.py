"""Signing in through the provincial unified identity platform (统一身份认证平台), an
OpenID Connect provider.

Off unless ``OIDC_RP_CLIENT_ID``, ``OIDC_RP_CLIENT_SECRET`` and
``OIDC_OP_DISCOVERY_URL`` are set. The protocol — discovery, the authorisation code
flow with PKCE and a nonce, the token request, the ID token's signature (the
provider's JWKS), issuer, audience and expiry — is Authlib's; this module only says
which provider, and maps the verified resident ID number claim
(``OIDC_ID_NUMBER_CLAIM``, default ``id_number``) to the ``Applicant``. The platform
has verified the person's real name itself, so a first-time person is created with
the name it gives (``OIDC_NAME_CLAIM``), under the window intake's rules.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from cases.constants import IdType
from cases.models import Applicant
from cases.services.intake.applicants import applicant_get_or_create, applicant_identifier_check

from ..exceptions import SignInError, SignUpError
from .sign_up import person_name_clean, resident_id_clean

PROVIDER_NAME = "province"


def oidc_is_enabled() -> bool:
    return bool(
        getattr(settings, "OIDC_RP_CLIENT_ID", "")
        and getattr(settings, "OIDC_RP_CLIENT_SECRET", "")
        and getattr(settings, "OIDC_OP_DISCOVERY_URL", "")
    )


def _client() -> Any:
    # A registry per call: the settings are read when the sign-in starts (and tests may
    # change them); the provider's metadata and keys are fetched by Authlib as needed.
    oauth = OAuth()
    oauth.register(
        name=PROVIDER_NAME,
        client_id=settings.OIDC_RP_CLIENT_ID,
        client_secret=settings.OIDC_RP_CLIENT_SECRET,
        server_metadata_url=settings.OIDC_OP_DISCOVERY_URL,
        client_kwargs={
            "scope": getattr(settings, "OIDC_RP_SCOPES", "openid"),
            "code_challenge_method": "S256",
            "timeout": float(getattr(settings, "OIDC_TIMEOUT_SECONDS", 10)),
        },
    )
    return oauth.create_client(PROVIDER_NAME)


def oidc_sign_in_start(*, request: HttpRequest, redirect_uri: str) -> HttpResponse:
    """The redirect to the platform's sign-in page (state, nonce and PKCE verifier kept
    in the session)."""
    return _client().authorize_redirect(request, redirect_uri)


def oidc_sign_in_finish(*, request: HttpRequest) -> Applicant:
    """The platform sent the person back: exchange the code, verify the ID token, and
    return the applicant of its verified ID number. ``SignInError`` when anything is
    wrong (a refused sign-in, a bad token, a claim missing or malformed)."""
    if request.GET.get("error"):
        raise SignInError(_("统一身份认证平台未完成登录，请重试。"))
    try:
        token = _client().authorize_access_token(request)
    except Exception as error:  # Authlib's OAuthError, JoseError, requests' errors
        raise SignInError(_("统一身份认证平台登录未通过验证，请重试。")) from error
    claims = token.get("userinfo") or {}
    id_number = str(claims.get(getattr(settings, "OIDC_ID_NUMBER_CLAIM", "id_number")) or "")
    name = str(claims.get(getattr(settings, "OIDC_NAME_CLAIM", "name")) or "")
    try:
        name = person_name_clean(name=name)
        id_number = resident_id_clean(id_number=id_number)
    except SignUpError:
        raise SignInError(
            _("统一身份认证平台未提供有效的居民身份证号码和姓名，请到综合窗口办理。")
        ) from None
    check = applicant_identifier_check(id_type=IdType.RESIDENT_ID, id_number=id_number)
    with transaction.atomic():
        existing = Applicant.objects.filter(id_type=IdType.RESIDENT_ID, id_number=id_number).first()
        if existing is not None:
            return existing
        return applicant_get_or_create(check=check, name=name)
