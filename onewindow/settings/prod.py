"""Production: DEBUG off, secrets required from the environment, HTTPS only.

``python manage.py check --deploy`` with these settings and a real key reports nothing
(tests/test_deploy_settings.py runs it).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOGGING, TRUSTED_PROXIES, env

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY")

# The placeholders of .env.example and of the embedded default, and keys Django calls
# weak (check W009: under 50 characters or under 5 different ones), never start the site.
PLACEHOLDER_SECRET_KEYS = {"change-me", "changeme", "onewindow-embedded-insecure-key-change-me"}
if (
    SECRET_KEY.strip().lower() in PLACEHOLDER_SECRET_KEYS
    or "change-me" in SECRET_KEY.lower()
    or SECRET_KEY.startswith("django-insecure")
    or len(SECRET_KEY) < 50
    or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        "SECRET_KEY is a placeholder or too weak (at least 50 random characters). Make one with: "
        "python -c 'import secrets; print(secrets.token_urlsafe(64))'"
    )

SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SEALS_AUTO_CREATE = env.bool("SEALS_AUTO_CREATE", default=False)

# HTTPS only: plain HTTP is redirected (except the health check that the load balancer or
# the operator calls on the inside), and browsers are told to remember it for a year.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# TLS ends at our reverse proxy: it says which scheme the client used. Believed only when
# the site sits behind proxies of ours (TRUSTED_PROXIES), which set the header themselves.
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Every log line one JSON object (request_id, task_id, task_name included) for the log
# collector; LOG_FORMAT=plain gives the text lines back.
_log_format = env("LOG_FORMAT", default="json")
if _log_format not in LOGGING["formatters"]:
    raise ImproperlyConfigured(
        f"LOG_FORMAT={_log_format!r}: use one of {', '.join(sorted(LOGGING['formatters']))}"
    )
LOGGING = {
    **LOGGING,
    "handlers": {"console": {**LOGGING["handlers"]["console"], "formatter": _log_format}},
}
