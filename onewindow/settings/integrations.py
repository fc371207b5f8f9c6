"""The systems outside the site: courier companies, the departments' registries, the
electronic seals, the SMS gateway and e-mail, and the notifications sent through them.

Every variable read here is documented in ``.env.example``.
"""

from .environment import BASE_DIR, env

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
NOTIFICATIONS_SUPPLEMENT_REMINDER_DAYS = env.int(
    "NOTIFICATIONS_SUPPLEMENT_REMINDER_DAYS", default=3
)
NOTIFICATIONS_REMINDER_CATCH_UP_DAYS = env.int("NOTIFICATIONS_REMINDER_CATCH_UP_DAYS", default=7)
