"""Settings shared by every deployment; only the environment differs between them.

Every variable read here is documented in ``.env.example``.
"""

import datetime as dt
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

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

# Scripts, styles, fonts and images come from this site only (static files, no CDN);
# no inline script anywhere (static/onewindow.js carries the pages' behaviours). Inline
# style attributes are allowed: Django's admin widgets set some.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# None of the pages needs a device feature; deny them all (django-permissions-policy).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}

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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

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

# Staff sign in at the two-factor sign-in (accounts/): password, then a code for those who
# need one. The admin's own login page sends there.
LOGIN_URL = "two_factor:login"
LOGIN_REDIRECT_URL = "home"
# The axes backend first: it refuses a locked-out account or address before any password
# is checked (and needs the request: authenticate(request, ...)).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# The second factor (accounts/policy.py): reviewers, supervisors and superusers always,
# clerks and village agents when STAFF_2FA_CLERKS is on. Enforced whenever DEBUG is off;
# in development (DEBUG on) only with STAFF_2FA_REQUIRED=1.
STAFF_2FA_REQUIRED = env.bool("STAFF_2FA_REQUIRED", default=False)
STAFF_2FA_CLERKS = env.bool("STAFF_2FA_CLERKS", default=False)
OTP_TOTP_ISSUER = "OneWindow"  # the name the authenticator app shows
TWO_FACTOR_PATCH_ADMIN = False  # the admin site (accounts.admin_site) sends to the sign-in itself

# Lockout (django-axes): after STAFF_SIGN_IN_FAILURE_LIMIT failed sign-ins of one account,
# or from one client address (the trusted-address rule, onewindow/client_address.py),
# sign-in is refused there for STAFF_SIGN_IN_COOLOFF_MINUTES after the last failure, or
# until an administrator unlocks it (admin, or manage.py axes_reset_username ...): 429.
AXES_FAILURE_LIMIT = env.int("STAFF_SIGN_IN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("STAFF_SIGN_IN_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A success does not wipe the failures: axes would wipe every failure from that address
# too, so one valid account would let its holder keep guessing other accounts' passwords.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failure, and the one that locked, is kept
AXES_ENABLE_ADMIN = False  # accounts/admin.py registers axes' tables, recording unlocks
AXES_VERBOSE = False  # no start-up line in every manage.py command's output
# Never stored with the failure: the sign-in form's fields and the token API's code.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "auth-username", "auth-password", "otp"]

# Sessions: a staff session lasts at most SESSION_COOKIE_AGE after sign-in (a working day)
# and ends after STAFF_IDLE_TIMEOUT_SECONDS without a request (accounts/session.py).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
STAFF_IDLE_TIMEOUT_SECONDS = env.int("STAFF_IDLE_TIMEOUT_SECONDS", default=30 * 60)

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
    # onewindow.client_address (TRUSTED_PROXIES below); 0 keeps DRF to REMOTE_ADDR.
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

# Celery. Without REDIS_URL the embedded mode runs every task in-process.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
# kombu's Redis transport with one redis-py client per channel (onewindow/broker.py).
CELERY_BROKER_TRANSPORT = "onewindow.broker:Transport" if REDIS_URL.startswith("redis://") else None
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# Keep the database connection from task to task (onewindow/celery.py closes it the
# way Django does between requests: when older than CONN_MAX_AGE, or broken).
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# A worker that loses Redis reconnects (kombu: after 2, 4, 6... s, at most 30 s apart)
# and never gives up; at start-up it waits for Redis too. Tasks that meet an outage are
# retried with backoff (onewindow/celery.py, OutageRetryingTask).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Periodic work (``celery -A onewindow beat``). Every task is idempotent, so a
# beat that fires twice, or late, does no harm.
CELERY_BEAT_SCHEDULE: dict = {
    # Cheap (it republishes only what is lost), and it bounds the stall after a broker restart.
    "sweep-jobs": {"task": "cases.sweep_jobs", "schedule": 5.0},
    "reconcile": {"task": "cases.reconcile", "schedule": 300.0},
    "colour-sla": {"task": "cases.colour_sla", "schedule": 900.0},
    # Administrative Licensing Law art. 32(4): no notice within 5 working days = accepted.
    "deem-accepted": {"task": "cases.deem_accepted", "schedule": crontab(minute=15)},
    "book-stale-deliveries": {"task": "cases.book_stale_deliveries", "schedule": 300.0},
    # Paid fees of denied cases go back (payments/services/refunds.py; set-based, idempotent).
    "payments-refund-sweep": {"task": "payments.refund_sweep", "schedule": 300.0},
    # The supervision dashboard's pre-aggregated figures (fast at a million cases).
    "supervision-refresh-figures": {"task": "supervision.refresh_figures", "schedule": 300.0},
    # Certificates past their last valid day become expired, just after midnight.
    "expire-certificates": {
        "task": "certificates.expire_due",
        "schedule": crontab(hour=0, minute=5),
    },
    # Personal data past its retention period (RETENTION_*_DAYS below) goes, nightly:
    # sign-in codes and tracking counts among it.
    "apply-retention": {"task": "privacy.apply_retention", "schedule": crontab(hour=3, minute=45)},
    # Appointments whose check-in closed without the person coming become no-shows.
    "appointments-mark-no-shows": {"task": "appointments.mark_no_shows", "schedule": 300.0},
    # New case events become SMS and e-mail (notifications app); due retries and SMS held
    # over the quiet hours go out; the reminders of the day, in the morning.
    "notifications-scan-events": {"task": "notifications.scan_events", "schedule": 30.0},
    "notifications-send-due": {"task": "notifications.send_due", "schedule": 30.0},
    "notifications-remind-daily": {
        "task": "notifications.remind_daily",
        "schedule": crontab(hour=9, minute=0),
    },
}
# /health/'s worker check (operations/health.py): beat sends a heartbeat to each queue every
# HEALTH_WORKER_HEARTBEAT_SECONDS; a queue silent longer than the maximum is unhealthy.
HEALTH_WORKER_QUEUES = env.list("HEALTH_WORKER_QUEUES", default=["celery", "documents"])
HEALTH_WORKER_HEARTBEAT_SECONDS = env.int("HEALTH_WORKER_HEARTBEAT_SECONDS", default=60)
HEALTH_WORKER_MAX_SILENCE_SECONDS = env.int("HEALTH_WORKER_MAX_SILENCE_SECONDS", default=300)
CELERY_BEAT_SCHEDULE.update(
    {
        f"worker-heartbeat-{queue}": {
            "task": "operations.heartbeat",
            "schedule": float(HEALTH_WORKER_HEARTBEAT_SECONDS),
            "args": (queue,),
            # A heartbeat nobody consumed in time is stale: dropped, not piled up.
            "options": {"queue": queue, "expires": float(HEALTH_WORKER_HEARTBEAT_SECONDS)},
        }
        for queue in HEALTH_WORKER_QUEUES
    }
)
# How old those figures may be before the dashboard computes live instead (seconds).
SUPERVISION_FIGURES_MAX_AGE = env.int("SUPERVISION_FIGURES_MAX_AGE", default=900)

# The outbox (cases.Job): a running job whose worker has been silent this long is
# taken over; a queued job is counted as lost by the broker (fewer messages wait in its
# queue than jobs are queued there) only once its message is this old (cases/services/jobs.py).
JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60)
JOB_REPUBLISH_SECONDS = env.int("JOB_REPUBLISH_SECONDS", default=10)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=8)
# The reconciler leaves fresh work alone for this long before it calls it stuck.
RECONCILE_GRACE_SECONDS = env.int("RECONCILE_GRACE_SECONDS", default=120)

# Courier companies (cases.couriers). "console": orders are logged, no company is
# called (embedded default); "http": orders are POSTed as JSON to the endpoint.
COURIER_BACKEND = env("COURIER_BACKEND", default="console")
COURIER_HTTP_ENDPOINT = env("COURIER_HTTP_ENDPOINT", default="")
COURIER_HTTP_TIMEOUT = env.float("COURIER_HTTP_TIMEOUT", default=10.0)
COURIER_HTTP_TOKEN = env("COURIER_HTTP_TOKEN", default="")
# The status webhook (/api/v1/deliveries/webhook/): one HMAC-SHA256 secret per courier
# company, e.g. COURIER_WEBHOOK_SECRETS=EMS=s3cret,SF=an0ther. A company without a
# secret cannot call it. Calls signed longer ago than the tolerance are replays.
COURIER_WEBHOOK_SECRETS = env.dict("COURIER_WEBHOOK_SECRETS", default={})
COURIER_WEBHOOK_TOLERANCE_SECONDS = env.int("COURIER_WEBHOOK_TOLERANCE_SECONDS", default=300)

# Departments' own registry endpoints (departments.connectors.HttpConnector).
REGISTRY_HTTP_TIMEOUT = env.float("REGISTRY_HTTP_TIMEOUT", default=5.0)  # seconds per attempt
REGISTRY_HTTP_RETRIES = env.int("REGISTRY_HTTP_RETRIES", default=2)  # on no connection / 5xx
REGISTRY_HTTP_BACKOFF = env.float("REGISTRY_HTTP_BACKOFF", default=0.5)  # seconds, doubling
REGISTRY_HTTP_ALLOW_PLAIN_HTTP = env.bool("REGISTRY_HTTP_ALLOW_PLAIN_HTTP", default=False)
REGISTRY_HTTP_MAX_BYTES = env.int("REGISTRY_HTTP_MAX_BYTES", default=1_000_000)
# Batch reads of a mass check (connectors' read_many): subjects per SQL statement of a
# local registry, and per POST <endpoint>/batch of a department's system.
REGISTRY_BATCH_SIZE = env.int("REGISTRY_BATCH_SIZE", default=5000)
REGISTRY_HTTP_BATCH_SIZE = env.int("REGISTRY_HTTP_BATCH_SIZE", default=1000)
REGISTRY_HTTP_BATCH_TIMEOUT = env.float("REGISTRY_HTTP_BATCH_TIMEOUT", default=30.0)  # per attempt
REGISTRY_HTTP_BATCH_MAX_BYTES = env.int("REGISTRY_HTTP_BATCH_MAX_BYTES", default=50_000_000)
# A lottery round's verification: applications per chunk (one outbox job, one batch read
# per registry, one statement of verdicts).
LOTTERY_CHUNK_SIZE = env.int("LOTTERY_CHUNK_SIZE", default=5000)

# Where the demo and production signing keys of the electronic seals live:
# outside the repository.
SEALS_DIR = env.path("SEALS_DIR", default=str(BASE_DIR / "var" / "seals"))
# A department without a seal gets a demo one (signed by the demo root CA) when its first
# certificate is signed. Off in production: there a missing seal is an error to fix.
SEALS_AUTO_CREATE = env.bool("SEALS_AUTO_CREATE", default=True)
# The public address of this site: the certificates' QR codes point to it.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# Public certificate verification (page and API), per client address.
CERTIFICATE_VERIFY_THROTTLE_RATE = env("CERTIFICATE_VERIFY_THROTTLE_RATE", default="60/minute")
# The public catalogue API (/api/v1/items/, /api/v1/bundles/), per client address; staff
# and department systems signed in are not counted.
CATALOGUE_THROTTLE_RATE = env("CATALOGUE_THROTTLE_RATE", default="120/minute")

# Citizens (citizens app). Sign-in codes go by SMS: "console" logs them (embedded
# default), "http" POSTs {phone, message} as JSON to SMS_HTTP_ENDPOINT.
SMS_BACKEND = env("SMS_BACKEND", default="console")
SMS_HTTP_ENDPOINT = env("SMS_HTTP_ENDPOINT", default="")
SMS_HTTP_TIMEOUT = env.float("SMS_HTTP_TIMEOUT", default=5.0)
SMS_HTTP_TOKEN = env("SMS_HTTP_TOKEN", default="")
# Notifications (notifications app): SMS through SMS_BACKEND above, e-mail through Django's
# e-mail framework (console in the embedded default; EMAIL_BACKEND=
# django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST... in production).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@onewindow.example")
# SMS made in the quiet hours (local time, HH:MM; empty: none) wait until they end.
NOTIFICATIONS_QUIET_HOURS_START = env("NOTIFICATIONS_QUIET_HOURS_START", default="21:00")
NOTIFICATIONS_QUIET_HOURS_END = env("NOTIFICATIONS_QUIET_HOURS_END", default="08:00")
# A failed send is retried after 1, 2, 4... minutes (at most the maximum apart) and
# marked failed after the last attempt; a sender silent past the lease loses its claim.
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=6)
NOTIFICATIONS_RETRY_BASE_SECONDS = env.int("NOTIFICATIONS_RETRY_BASE_SECONDS", default=60)
NOTIFICATIONS_RETRY_MAX_SECONDS = env.int("NOTIFICATIONS_RETRY_MAX_SECONDS", default=6 * 3600)
NOTIFICATIONS_SEND_LEASE_SECONDS = env.int("NOTIFICATIONS_SEND_LEASE_SECONDS", default=300)
# Events (or notifications) per scan (or send) batch; events younger than the settle
# time are left for the next scan (their transaction may not have committed yet).
NOTIFICATIONS_BATCH_SIZE = env.int("NOTIFICATIONS_BATCH_SIZE", default=500)
NOTIFICATIONS_EVENT_SETTLE_SECONDS = env.int("NOTIFICATIONS_EVENT_SETTLE_SECONDS", default=10)
# Reminders: days before a certificate's last valid day; days a supplement may take
# and days before its deadline; how many days late a missed reminder still goes out.
NOTIFICATIONS_EXPIRY_NOTICE_DAYS = env.int("NOTIFICATIONS_EXPIRY_NOTICE_DAYS", default=30)
NOTIFICATIONS_SUPPLEMENT_DAYS = env.int("NOTIFICATIONS_SUPPLEMENT_DAYS", default=15)
NOTIFICATIONS_SUPPLEMENT_REMINDER_DAYS = env.int("NOTIFICATIONS_SUPPLEMENT_REMINDER_DAYS", default=3)
NOTIFICATIONS_REMINDER_CATCH_UP_DAYS = env.int("NOTIFICATIONS_REMINDER_CATCH_UP_DAYS", default=7)
# The reverse proxies in front of the site (addresses or networks, e.g.
# TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8): only what they append to X-Forwarded-For is
# believed. Empty (the default): the header is ignored and the peer is the client, so
# nobody can dodge a per-address limit by sending a header (onewindow/client_address.py).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# Public tracking: after this many unknown numbers / wrong ID suffixes from one client
# address within the window, /track/ and the track API answer 429.
TRACK_FAILURE_LIMIT = env.int("TRACK_FAILURE_LIMIT", default=10)
TRACK_FAILURE_WINDOW_SECONDS = env.int("TRACK_FAILURE_WINDOW_SECONDS", default=600)
# ...and after this many wrong ID suffixes for one case, from any addresses, that case's
# tracking rests for the window (its applicant still sees it in /me/). 20 guesses a day
# of the 11,000 possible suffixes: years for a brute force spread over many addresses.
TRACK_CASE_FAILURE_LIMIT = env.int("TRACK_CASE_FAILURE_LIMIT", default=20)
TRACK_CASE_FAILURE_WINDOW_SECONDS = env.int("TRACK_CASE_FAILURE_WINDOW_SECONDS", default=86400)
# The public lottery look-up and appeal (application number + ID suffix): misses per client
# address within the window, and wrong suffixes per application from any address.
LOTTERY_LOOKUP_FAILURE_LIMIT = env.int("LOTTERY_LOOKUP_FAILURE_LIMIT", default=10)
LOTTERY_LOOKUP_FAILURE_WINDOW_SECONDS = env.int(
    "LOTTERY_LOOKUP_FAILURE_WINDOW_SECONDS", default=600
)
LOTTERY_APPLICATION_FAILURE_LIMIT = env.int("LOTTERY_APPLICATION_FAILURE_LIMIT", default=20)
LOTTERY_APPLICATION_FAILURE_WINDOW_SECONDS = env.int(
    "LOTTERY_APPLICATION_FAILURE_WINDOW_SECONDS", default=86400
)
# Signing in to /me/: codes asked for and wrong codes typed per client address and window.
SIGN_IN_REQUEST_LIMIT = env.int("SIGN_IN_REQUEST_LIMIT", default=20)
SIGN_IN_FAILURE_LIMIT = env.int("SIGN_IN_FAILURE_LIMIT", default=20)
SIGN_IN_WINDOW_SECONDS = env.int("SIGN_IN_WINDOW_SECONDS", default=3600)
# Wrong codes typed for one ID number from any addresses, per window.
SIGN_IN_SUBJECT_FAILURE_LIMIT = env.int("SIGN_IN_SUBJECT_FAILURE_LIMIT", default=10)
SIGN_IN_SUBJECT_WINDOW_SECONDS = env.int("SIGN_IN_SUBJECT_WINDOW_SECONDS", default=3600)

# Sign-in through the provincial unified identity platform (OpenID Connect): off unless
# the client id, its secret and the provider's discovery URL are all set.
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_DISCOVERY_URL = env("OIDC_OP_DISCOVERY_URL", default="")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", default="openid profile")
OIDC_ID_NUMBER_CLAIM = env("OIDC_ID_NUMBER_CLAIM", default="id_number")
OIDC_NAME_CLAIM = env("OIDC_NAME_CLAIM", default="name")

# The cache holds the per-address limits above: shared through Redis in full mode
# (every process counts together), in-process memory in the embedded mode.
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }

# Demo logins may be created only when DEBUG is on, unless forced.
DEMO_PASSWORD = "onewindow-demo"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every record carries request_id, task_id and task_name (operations/request_id.py).
    "filters": {"request_id": {"()": "operations.request_id.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        # One JSON object a line (python-json-logger): LOG_FORMAT=json, production's default.
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s %(task_name)s",
            "json_ensure_ascii": False,
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("LOG_FORMAT", default="plain"),
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs every rendering step at INFO; the certificates log their own line.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # django-axes logs every sign-in at INFO; failures and lockouts are WARNING.
        "axes": {"level": "WARNING"},
    },
}

# The department the comprehensive window reads shared data for (prefill), when the
# clerk's own profile names none: the demo's 行政审批局.
WINDOW_DEPARTMENT_CODE = env("WINDOW_DEPARTMENT_CODE", default="O")
# Largest scan accepted at intake, in bytes (default 20 MB).
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)

# Personal data retention (privacy app, PIPL art. 19: kept no longer than needed). Days
# each kind is kept; 0 keeps it without limit. README "Personal data retention" says why.
# Uploaded files, counted from the case's end (reconsideration 60 days, litigation 6 months).
RETENTION_MATERIAL_FILES_DAYS = env.int("RETENTION_MATERIAL_FILES_DAYS", default=365)
# Who read my data (cases.Verification): 3 years, the civil limitation period (民法典 art. 188).
RETENTION_DATA_ACCESS_LOG_DAYS = env.int("RETENTION_DATA_ACCESS_LOG_DAYS", default=3 * 365)
# Who read my data in a batch (sharing.BatchRead and its per-person rows): the same 3 years.
RETENTION_BATCH_READS_DAYS = env.int("RETENTION_BATCH_READS_DAYS", default=3 * 365)
# Sign-in codes (citizens.OneTimeCode): a day; the per-hour sending limit needs only the last hour.
RETENTION_SIGN_IN_CODES_DAYS = env.int("RETENTION_SIGN_IN_CODES_DAYS", default=1)
# Tracking throttle counts (citizens.TrackFailure), from the end of their window: only the
# throttle needs them.
RETENTION_TRACK_FAILURES_DAYS = env.int("RETENTION_TRACK_FAILURES_DAYS", default=1)
# Staff sign-in logs (django-axes): at least 6 months (网络安全法 art. 21).
RETENTION_STAFF_SIGN_IN_DAYS = env.int("RETENTION_STAFF_SIGN_IN_DAYS", default=180)
# Rows per statement of a retention run.
RETENTION_CHUNK_SIZE = env.int("RETENTION_CHUNK_SIZE", default=1000)
