"""The production stack in deploy/ agrees with the code: the units start modules and
queues that exist, every environment variable they set is one the settings read, and
nginx hands the client's address on in the one form the throttles trust."""

import re
from pathlib import Path

from django.conf import settings

from cases.services.jobs import JOB_HANDLERS

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"


def test_the_workers_serve_every_queue_the_jobs_use():
    target = (DEPLOY / "systemd" / "onewindow.target").read_text()
    units = set(re.findall(r"onewindow-worker@(\w+)\.service", target))
    queues = {handler.queue or "celery" for handler in JOB_HANDLERS.values()}
    assert units == {"celery", *queues}


def test_the_units_run_the_project_and_share_one_environment_file():
    for unit in (DEPLOY / "systemd").glob("*.service"):
        text = unit.read_text()
        assert "EnvironmentFile=/etc/onewindow/onewindow.env" in text, unit.name
        assert "User=onewindow" in text, unit.name
    web = (DEPLOY / "systemd" / "onewindow-web.service").read_text()
    assert "onewindow.wsgi:application" in web
    assert (ROOT / "onewindow" / "wsgi.py").exists()


def test_every_variable_of_the_environment_file_is_read_by_the_settings():
    settings_source = "".join(
        path.read_text() for path in (ROOT / "onewindow" / "settings").glob("*.py")
    )
    units = "".join(path.read_text() for path in (DEPLOY / "systemd").glob("*"))
    for line in (DEPLOY / "onewindow.env.example").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name = line.split("=", 1)[0]
        assert (
            f'"{name}"' in settings_source
            or f"${{{name}}}" in units
            or name == "DJANGO_SETTINGS_MODULE"
        ), name


def test_nginx_replaces_the_forwarded_address_and_the_app_trusts_only_it():
    conf = (DEPLOY / "nginx" / "onewindow.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "$proxy_add_x_forwarded_for" not in conf  # would keep what the client wrote
    assert "proxy_pass http://onewindow_web" in conf
    assert "/media/" not in conf.split("# No /media/")[0]  # files only through the views
    environment = (DEPLOY / "onewindow.env.example").read_text()
    assert "TRUSTED_PROXIES=127.0.0.1,::1" in environment
    assert settings.TRUSTED_PROXIES == []  # the default trusts no header


def test_every_proxied_location_passes_nginxs_request_id():
    """The id the application believes from a trusted proxy (operations/request_id.py):
    set, not appended, in every location that proxies, so a client cannot choose it."""
    import re

    conf = (DEPLOY / "nginx" / "onewindow.conf").read_text()
    locations = re.findall(r"location [^{]+\{(.*?)\n?\s*\}", conf, flags=re.DOTALL)
    proxied = [body for body in locations if "proxy_pass" in body]
    assert len(proxied) == 2  # /health/ on plain HTTP, and / on HTTPS
    for body in proxied:
        assert "proxy_set_header X-Request-ID $request_id;" in body
    assert "$http_x_request_id" not in conf  # never what the client sent
    assert "request_id=$request_id" in conf  # the access log ties to the app's lines
