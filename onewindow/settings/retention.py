"""How long personal data is kept (the privacy app's retention runs).

Every variable read here is documented in ``.env.example``.
"""

from .environment import env

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
