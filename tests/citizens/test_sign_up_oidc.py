"""Sign-in through a unified identity platform: a real OpenID Connect provider
(django-oauth-toolkit, mounted at /o/ of this test URLconf on the live server) issues a
signed ID token with the resident ID number claim; our sign-in (Authlib) verifies it
against the provider's published keys and signs in the matching applicant."""

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import include, path, reverse
from oauth2_provider.models import Application
from oauth2_provider.oauth2_validators import OAuth2Validator

from cases.constants import CaseState
from cases.models import Applicant
from citizens.constants import SESSION_APPLICANT_KEY
from onewindow.urls import urlpatterns as site_urlpatterns
from tests.factories import ApplicantFactory, CaseFactory, ServiceItemFactory

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    *site_urlpatterns,
]

PERSON_ID = "110101199003071233"
PERSON_NAME = "王小明"
CLIENT_SECRET = "a-very-secret-client-secret-of-onewindow"
# The provider's users and the claims it vouches for (its real-name records).
CLAIMS = {"wangxm": {"id_number": PERSON_ID, "name": PERSON_NAME}, "nobody": {"name": "某人"}}


class ProvinceValidator(OAuth2Validator):
    """The provider's claims: the resident ID number and name it verified."""

    oidc_claim_scope = None  # every claim goes into the ID token

    def get_additional_claims(self, request):
        return dict(CLAIMS.get(request.user.username, {}))


def _private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def provider(live_server, settings):
    settings.ROOT_URLCONF = __name__
    settings.OAUTH2_PROVIDER = {
        "OIDC_ENABLED": True,
        "OIDC_RSA_PRIVATE_KEY": _private_key_pem(),
        "SCOPES": {"openid": "OpenID Connect", "profile": "姓名与身份证号码"},
        "OAUTH2_VALIDATOR_CLASS": f"{__name__}.ProvinceValidator",
        "PKCE_REQUIRED": True,
    }
    owner = get_user_model().objects.create_user("province-admin", is_staff=False)
    Application.objects.create(
        name="一窗通办",
        client_id="onewindow",
        client_secret=CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://testserver/me/sign-in/province/callback/",
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
        user=owner,
    )
    settings.OIDC_RP_CLIENT_ID = "onewindow"
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_DISCOVERY_URL = f"{live_server.url}/o/.well-known/openid-configuration"
    return live_server


def browser_signed_in_at_provider(username):
    """The person's browser at the provider, signed in there (the provider's own login)."""
    user = get_user_model().objects.create_user(username)
    provider_client = Client()
    provider_client.force_login(user)
    browser = requests.Session()
    browser.cookies.set("sessionid", provider_client.cookies["sessionid"].value)
    return browser


def sign_in_through_the_platform(client, username):
    start = client.post(reverse("citizens:oidc_start"))
    assert start.status_code == 302
    browser = browser_signed_in_at_provider(username)
    answer = browser.get(start.url, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:500]
    callback = answer.headers["Location"]
    assert callback.startswith("http://testserver/me/sign-in/province/callback/")
    return client.get(callback.removeprefix("http://testserver"))


@pytest.mark.django_db(transaction=True)
def test_sign_in_through_the_unified_identity_platform(client, provider):
    person = ApplicantFactory(id_number=PERSON_ID, name=PERSON_NAME)
    case = CaseFactory(
        applicant=person, state=CaseState.IN_REVIEW, items=[ServiceItemFactory(name="生育登记")]
    )
    assert "使用省统一身份认证平台登录" in client.get(reverse("citizens:sign_in")).content.decode()
    response = sign_in_through_the_platform(client, "wangxm")
    assert response.status_code == 302 and response.url == reverse("citizens:me")
    assert client.session[SESSION_APPLICANT_KEY] == person.pk
    assert case.tracking_no in client.get(reverse("citizens:me")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_first_time_person_is_created_from_the_verified_claims(client, provider):
    response = sign_in_through_the_platform(client, "wangxm")
    assert response.status_code == 302
    applicant = Applicant.objects.get(id_number=PERSON_ID)
    assert applicant.name == PERSON_NAME
    assert client.session[SESSION_APPLICANT_KEY] == applicant.pk


@pytest.mark.django_db(transaction=True)
def test_a_token_without_the_id_number_claim_signs_nobody_in(client, provider):
    response = sign_in_through_the_platform(client, "nobody")
    assert response.status_code == 400
    assert "未提供有效的居民身份证号码" in response.content.decode()
    assert SESSION_APPLICANT_KEY not in client.session
    assert not Applicant.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_forged_callback_is_refused(client, provider):
    client.post(reverse("citizens:oidc_start"))
    response = client.get(
        reverse("citizens:oidc_callback"), {"code": "made-up", "state": "made-up"}
    )
    assert response.status_code == 400
    assert "登录未通过验证" in response.content.decode()
    assert SESSION_APPLICANT_KEY not in client.session


@pytest.mark.django_db(transaction=True)
def test_failed_returns_are_throttled_per_address(client, provider, settings):
    settings.SIGN_IN_FAILURE_LIMIT = 1
    client.get(reverse("citizens:oidc_callback"), {"error": "access_denied"})
    response = client.get(reverse("citizens:oidc_callback"), {"error": "access_denied"})
    assert response.status_code == 429


def test_without_settings_the_platform_is_not_offered(client, db, settings):
    settings.OIDC_RP_CLIENT_ID = ""
    assert "统一身份认证" not in client.get(reverse("citizens:sign_in")).content.decode()
    assert client.post(reverse("citizens:oidc_start")).status_code == 404
