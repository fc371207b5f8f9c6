"""Settings shared by every deployment; only the environment differs between them.

Here: the Django core (apps, middleware, URLs, templates, the database, languages, files,
the API) and the embedded or full mode (DATABASE_URL, REDIS_URL). By concern, in the
modules imported below: security.py (headers, staff sign-in, sessions, throttles),
celery.py (tasks, beat, the outbox), integrations.py (couriers, registries, seals, SMS,
e-mail, notifications), logging.py and retention.py. environment.py reads ``.env`` first.

Every variable read here or in those modules is documented in ``.env.example``.
"""

from django.utils.translation import gettext_lazy as _

from .celery import *  # noqa: F403
from .environment import BASE_DIR, env
from .integrations import *  # noqa: F403
from .logs import *  # noqa: F403
from .retention import *  # noqa: F403
from .security import *  # noqa: F403

SECRET_KEY = env("SECRET_KEY", default="onewindow-embedded-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin, with the admin site that signs in through the two-factor sign-in.
    "accounts.admin_config.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_fsm",
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",
    # Before two_factor (its templates are overridden here) and axes (its reset commands
    # are overridden here: they record the unlock).
    "accounts",
    "two_factor",
    "axes",
    "centres",
    "departments",
    "sharing",
    "cases",
    "supervision",
    "certificates",
    "citizens",
    "guide",
    "operations",
    "privacy",
    "lottery",
    "hall",
    "appointments",
    "notifications",
    "payments",
    "demo",  # manage.py load_demo: above every app, it loads their demos
    "health_check",  # its management command: manage.py health_check operations:health
]

MIDDLEWARE = [
    # The request id (X-Request-ID) of every log line the request and its tasks write.
    "operations.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (no inline script) and Permissions-Policy on every answer.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "onewindow.middleware.LocaleMiddleware",  # Django's, minus a needless path lookup
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the second factor
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.StaffIdleTimeoutMiddleware",
    "accounts.middleware.StaffSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the locked-out answer.
    "axes.middleware.AxesMiddleware",
]

# Prometheus metrics at /metrics (operations/metrics.py): off by default (then /metrics is
# 404 and no metrics middleware runs); when on, only for clients in the allowed networks.
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=False)
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
if METRICS_ENABLED:
    from operations.metrics_settings import METRICS_MIDDLEWARE

    # Right after the request id: they count every answer.
    MIDDLEWARE[1:1] = METRICS_MIDDLEWARE

ROOT_URLCONF = "onewindow.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "onewindow.wsgi.application"

# Embedded default: one SQLite file, no server. Full mode: DATABASE_URL=postgres://...
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # BEGIN IMMEDIATE takes the write lock when a transaction starts, so two
    # concurrent transitions on SQLite queue up instead of both reading the old
    # state (SQLite ignores SELECT ... FOR UPDATE). WAL lets readers go on meanwhile.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # Parameters bound on the server, and a statement run five times on a connection
    # prepared there: PostgreSQL then skips parsing and planning the engine's
    # repeated statements (it halved PostgreSQL's CPU per case in bench/lifecycle.py).
    # Behind a pooler without protocol-level prepared statements (PgBouncer < 1.21
    # in transaction mode), set DATABASE_PREPARE_THRESHOLD=0 to turn preparing off.
    _prepare_threshold = env.int("DATABASE_PREPARE_THRESHOLD", default=5)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "server_side_binding": True,
            "prepare_threshold": _prepare_threshold if _prepare_threshold > 0 else None,
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Chinese first, English available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # drf-spectacular's, plus every error answer DRF gives by itself (onewindow/api_schema.py).
    "DEFAULT_SCHEMA_CLASS": "onewindow.api_schema.AutoSchema",
    # DRF's own reading of X-Forwarded-For is never used: every throttle keys on
    # onewindow.client_address (TRUSTED_PROXIES, security.py); 0 keeps DRF to REMOTE_ADDR.
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OneWindow API",
    "DESCRIPTION": "One comprehensive window, run at most once (最多跑一次).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # A lottery application's state is not a case's or an approval's.
    "ENUM_NAME_OVERRIDES": {
        "LotteryApplicationStateEnum": "lottery.constants.ApplicationState",
        "CaseStateEnum": "cases.constants.CaseState",
        "IdTypeEnum": "cases.constants.IdType",
    },
}

# Celery. Without REDIS_URL the embedded mode runs every task in-process (the rest of
# Celery's settings: celery.py).
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
# kombu's Redis transport with one redis-py client per channel (onewindow/broker.py).
CELERY_BROKER_TRANSPORT = "onewindow.broker:Transport" if REDIS_URL.startswith("redis://") else None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TIMEZONE = TIME_ZONE

# The cache holds the per-address limits (security.py): shared through Redis in full mode
# (every process counts together), in-process memory in the embedded mode.
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }

# Demo logins may be created only when DEBUG is on, unless forced.
DEMO_PASSWORD = "onewindow-demo"

# The department the comprehensive window reads shared data for (prefill), when the
# clerk's own profile names none: the demo's 行政审批局.
WINDOW_DEPARTMENT_CODE = env("WINDOW_DEPARTMENT_CODE", default="O")
# Largest scan accepted at intake, in bytes (default 20 MB).
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
