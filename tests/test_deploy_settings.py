"""Production settings: `check --deploy` reports nothing with a real key, placeholder keys
never start the site, and every answer carries the security headers."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def _manage(*arguments, secret_key):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "DJANGO_SETTINGS_MODULE": "onewindow.settings.prod",
        "SECRET_KEY": secret_key,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_with_the_production_settings_reports_no_issues():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", secret_key=secrets.token_urlsafe(64)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    "key",
    ["change-me", "onewindow-embedded-insecure-key-change-me", "short-key", "a" * 60],
)
def test_a_placeholder_or_weak_key_does_not_start(key):
    result = _manage("check", secret_key=key)
    assert result.returncode != 0
    assert "SECRET_KEY is a placeholder or too weak" in result.stderr


def test_pages_carry_a_content_security_policy_without_inline_script(client):
    response = client.get(reverse("citizens:track"))
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "<script>" not in response.content.decode()


def test_no_template_carries_inline_script_or_event_handlers():
    import re

    offenders = []
    for template in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]:
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+=\"", text):
            offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []


def test_the_api_answers_json_for_an_unknown_path(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"detail": "未找到该地址。"}
    # Elsewhere, the site's own page.
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page.headers["Content-Type"].startswith("text/html")


def test_the_api_answers_json_for_a_method_it_does_not_allow(client):
    response = client.delete(reverse("api:track", args=["260101ABCDEFGH"]))
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/json"


def test_the_api_answers_json_for_a_server_error(rf):
    from onewindow.errors import server_error

    response = server_error(rf.get("/api/v1/cases/"))
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    page = server_error(rf.get("/window/"))
    assert page.headers["Content-Type"].startswith("text/html")


def test_swagger_ui_runs_without_inline_script(admin_client):
    response = admin_client.get(reverse("api:schema-ui"))
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()
