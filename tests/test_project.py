"""The project itself: checks pass, migrations match the models, the two doors answer."""

import re

import pytest
from django.core.management import call_command


def test_system_checks_pass():
    call_command("check", "--fail-level", "WARNING")


@pytest.mark.django_db
def test_migrations_match_the_models():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_admin_login_page_answers_in_chinese(client):
    # The admin's login sends to the staff sign-in (password, then the second factor).
    response = client.get("/admin/login/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/account/login/")
    assert "登录" in response.content.decode()


@pytest.mark.django_db
def test_api_schema_is_served(admin_client):
    response = admin_client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"OneWindow API" in response.content


@pytest.mark.django_db
def test_api_docs_page_uses_no_cdn(admin_client):
    response = admin_client.get("/api/v1/schema/ui/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    # Every script, style and image comes from this site: no absolute or
    # protocol-relative address (a random CSRF token may well contain "cdn").
    addresses = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", page)
    assert addresses
    assert [a for a in addresses if a.startswith(("http:", "https:", "//"))] == []
    assert "unpkg" not in page.lower() and "jsdelivr" not in page.lower()


def test_every_periodic_task_in_the_beat_schedule_exists():
    from django.conf import settings

    from onewindow.celery import app

    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name


def test_uploaded_files_are_not_served_as_plain_files_even_in_debug(settings):
    import importlib

    from django.urls import Resolver404, get_resolver

    import onewindow.urls

    settings.DEBUG = True
    try:
        module = importlib.reload(onewindow.urls)
        with pytest.raises(Resolver404):
            get_resolver(module).resolve(f"{settings.MEDIA_URL}materials/id-card.pdf")
    finally:
        settings.DEBUG = False
        importlib.reload(onewindow.urls)
