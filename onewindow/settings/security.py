"""Security: response headers (CSP, Permissions-Policy), staff sign-in (passwords, two
factors, lockout), sessions, the per-address throttles and the citizens' OpenID Connect
sign-in.

Every variable read here is documented in ``.env.example``.
"""

import datetime as dt

from .environment import env

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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

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

# Public certificate verification (page and API), per client address.
CERTIFICATE_VERIFY_THROTTLE_RATE = env("CERTIFICATE_VERIFY_THROTTLE_RATE", default="60/minute")
# The public catalogue API (/api/v1/items/, /api/v1/bundles/), per client address; staff
# and department systems signed in are not counted.
CATALOGUE_THROTTLE_RATE = env("CATALOGUE_THROTTLE_RATE", default="120/minute")
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
