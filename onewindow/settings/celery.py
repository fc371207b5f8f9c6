"""Celery: how tasks run and are acknowledged, the beat schedule, the workers' heartbeat,
and the outbox's and the reconciler's timings.

The broker and whether tasks run in-process follow REDIS_URL: they are in base.py, with
the other settings of the embedded or full mode, and so is CELERY_TIMEZONE (TIME_ZONE).

Every variable read here is documented in ``.env.example``.
"""

from celery.schedules import crontab

from .environment import env

CELERY_RESULT_BACKEND = None
# Keep the database connection from task to task (onewindow/celery.py closes it the
# way Django does between requests: when older than CONN_MAX_AGE, or broken).
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
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
    # Personal data past its retention period (RETENTION_*_DAYS, retention.py) goes, nightly:
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
