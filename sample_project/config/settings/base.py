"""Settings shared by every profile (local, test, production).

Everything that differs between machines comes from environment variables, read with
django-environ (https://django-environ.readthedocs.io/). Every variable read here or in
the profiles is documented in ``sample_project/.env.example``.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

# sample_project/ — the folder that holds manage.py and the apps.
BASE_DIR = Path(__file__).resolve().parent.parent.parent



class Env(environ.Env):
    """django-environ's ``Env``, plus :meth:`secret` for values that must be read verbatim."""

    def secret(self, var: str, default: object = environ.Env.NOTSET) -> str:
        """The variable exactly as set (or ``default``; unset and no default: refuse to start).

        ``env(name)`` reads a value that starts with ``$`` as the *name of another variable*
        (django-environ's "proxied values"), and Django's own key generator,
        ``get_random_secret_key()``, starts about one key in fifty with ``$``: such a key
        would stop the site from starting. Keys, passwords and webhook secrets are random
        text, so they are read as they are.
        """
        if var in self.ENVIRON:
            return self.ENVIRON[var]
        return self.str(var, default=default)


env = Env()

# A .env file is read only when asked for: in production the process environment is the
# single source of truth, and a stray .env must never override it silently.
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The course runs in Ethiopia's time zone; datetimes are stored in UTC (USE_TZ) and
# converted only for display.
TIME_ZONE = "Africa/Addis_Ababa"
LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True

# DATABASES
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
# No default: a missing DATABASE_URL stops startup with a message naming the variable.
DATABASES = {"default": env.db("DATABASE_URL")}
# Transactions are opened where the code needs them (services use transaction.atomic),
# not around every request.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# 0 closes the connection after each request; production raises it to reuse connections.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)

# The schema relies on PostgreSQL: range types and a GiST exclusion constraint stop
# double bookings. Say so at startup instead of failing later inside a migration.
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL must point to PostgreSQL (postgres://...); "
        f"got engine {DATABASES['default']['ENGINE']!r}."
    )

# https://docs.djangoproject.com/en/5.2/ref/settings/#std-setting-DEFAULT_AUTO_FIELD
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# URLS
# ------------------------------------------------------------------------------
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# APPS
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    # Range fields, ExclusionConstraint and RangeOperators used by bookings.
    "django.contrib.postgres",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    # The Token table behind DRF's TokenAuthentication (one opaque token per user).
    "rest_framework.authtoken",
    # simplejwt's tables of refresh tokens issued and revoked: logout and rotation (below).
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    # Swagger UI / ReDoc files served from our own static files: /api/docs/ works offline.
    "drf_spectacular_sidecar",
]
# Apps import each other one way, down this list: listings ← bookings ← payments; wishlists
# on listings and bookings; demo on all of them (tests/architecture/test_app_dependencies.py).
LOCAL_APPS = [
    # The request pipeline: blocklist, per-IP rate limit, request log, maintenance window
    # (its middleware is below). It imports no other app.
    "ip_tracking",
    "accounts",
    "listings",
    "bookings",
    "payments",
    "wishlists",
    # Guests and hosts writing to each other about a listing or a booking; on accounts,
    # listings and bookings.
    "messaging",
    # `manage.py seed`: the demo data set, which writes rows of every app above.
    "demo",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

# AUTHENTICATION
# ------------------------------------------------------------------------------
# Set before the first migration: switching user models later is a painful data migration.
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "admin:login"

# https://docs.djangoproject.com/en/5.2/ref/settings/#auth-password-validators
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# MIDDLEWARE
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/http/middleware/
# Requests go down this list and responses come back up it; a middleware that answers by
# itself (a 403, a 429) skips everything below it.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware, as WhiteNoise's docs ask, so static files skip the rest.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outermost of ours: it times all the work below and sees every final status, the 403s
    # and 429s of the next two included. (Static files and HTTPS redirects are answered
    # above it: gunicorn's access log has those.)
    "ip_tracking.middleware.RequestLogMiddleware",
    # Refusals that need no session, user or view: as early as possible, so a blocked or
    # flooding client costs one Redis round trip and nothing more. Blocked before counted:
    # a blocked address doesn't spend a counter write.
    "ip_tracking.middleware.BlocklistMiddleware",
    "ip_tracking.middleware.RateLimitMiddleware",
    # Off unless MAINTENANCE_WINDOW is set (it then removes itself from the chain).
    "ip_tracking.middleware.MaintenanceWindowMiddleware",
    # Before anything that reads the URL's values (sessions, views): see config/middleware.py.
    "config.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# STATIC
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/howto/static-files/
STATIC_URL = "/static/"
# collectstatic copies everything here; WhiteNoise serves it in production.
STATIC_ROOT = BASE_DIR / "staticfiles"
# Project-wide static files that belong to no app: the vendored GraphiQL IDE.
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]
# Files served at the site's root rather than under STATIC_URL: favicon.ico, which every
# browser asks for on a page that names no icon (the admin's, DRF's, ReDoc's) and, missing,
# answers with a 404 in the console.
# https://whitenoise.readthedocs.io/en/stable/django.html#WHITENOISE_ROOT
WHITENOISE_ROOT = BASE_DIR / "config" / "root"

# TEMPLATES
# ------------------------------------------------------------------------------
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project-wide templates that belong to no app: the API docs' ReDoc page.
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# CACHES
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/cache/#redis
# Django's Redis backend, made to fail open (config/cache.py): while Redis is unreachable
# the site serves from the database and logs a warning instead of answering 500.
# REDIS_URL may be redis://host:port/db or unix:///path/to/redis.sock?db=1; the cache
# keeps to its own database number (1 in the course), because cache.clear() flushes the
# whole database and must not take Celery's queues (2) or results (3) with it.
# The key prefix namespaces this project's keys, so two projects can share one Redis;
# set a new one per release (e.g. the git SHA) and no entry shaped by old code survives
# a deploy.
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", default="nexus")
CACHES = {
    "default": {
        "BACKEND": "config.cache.ResilientRedisCache",
        "LOCATION": env("REDIS_URL"),
        "KEY_PREFIX": CACHE_KEY_PREFIX,
        # Seconds a connection or a reply may take before Redis counts as down: a dead
        # cache must cost a request milliseconds, not a hung worker.
        "OPTIONS": {
            "socket_connect_timeout": env.float("CACHE_CONNECT_TIMEOUT", default=0.25),
            "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=0.25),
        },
    }
}
# How long the listings API keeps cached responses and data (seconds). Writes invalidate
# them at once (listings/cache.py); the timeout only bounds how long an entry can outlive
# a write the cache never heard of, e.g. one made while Redis was down.
CACHE_TTL_LISTINGS = env.int("CACHE_TTL_LISTINGS", default=300)

# CELERY
# ------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# Read by the Celery app in config/celery_app.py: CELERY_TASK_ACKS_LATE here is Celery's
# task_acks_late. The broker is RabbitMQ (amqp://user:password@host:5672//) or Redis.
# Unset, broker and results go to REDIS_URL's server on databases 2 and 3, never the
# cache's: cache.clear() flushes its whole database, and queued tasks must survive that.
def _redis_database(url: str, db: int) -> str:
    """``url`` (redis://host:port/1) pointing at database ``db`` of the same server."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ImproperlyConfigured(
            f"Cannot derive Celery's Redis URLs from a {parts.scheme}:// REDIS_URL; "
            "set CELERY_BROKER_URL and CELERY_RESULT_BACKEND."
        )
    return urlunsplit(parts._replace(path=f"/{db}"))


CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=None) or _redis_database(env("REDIS_URL"), 2)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None) or _redis_database(
    env("REDIS_URL"), 3
)
CELERY_TIMEZONE = TIME_ZONE
# JSON only, both ways: any consumer can read a message, and nobody can send a worker a
# pickle (unpickling runs code). It also forces tasks to take ids, not model instances.
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = timedelta(days=1)
# Deployments (or test runs, or notebooks) that share a broker each need their own queue:
# a task carries ids that mean something in one database only.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="nexus")
# Late acknowledgement (the message is removed only after the task ran, so a worker that
# dies mid-task leaves it to be redelivered) is switched on per task, in tasks.py, for
# idempotent tasks only: a task that runs twice must do its work once.
CELERY_TASK_ACKS_LATE = False
# Reserve one message at a time: a prefetched message would wait behind a long task while
# other workers sit idle. (It is not lost if this worker dies: a message is acknowledged
# only when its task starts, or ends with late acks, so the broker hands it out again.)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No task may hold a worker forever. At the soft limit the task gets SoftTimeLimitExceeded
# (it can clean up); at the hard limit the worker kills the process running it. Tasks set
# tighter limits of their own.
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 120
# Redis has no real acknowledgements: a message a worker took but never acknowledged goes
# back to the queue after this many seconds. Keep it longer than any task's run time and
# any retry countdown, or a running or waiting task is handed out a second time.
_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    # How often a worker looks for such messages: every 10 s, or faster for a short timeout.
    "unacked_restore_interval": min(10, _VISIBILITY_TIMEOUT),
    "unacked_restore_throttle": 1,
}
# A worker started before the broker is up keeps trying instead of exiting.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery beat (`celery -A config beat`) sends these tasks on a schedule; a worker runs them.
CELERY_BEAT_SCHEDULE = {
    "expire-unpaid-bookings": {
        "task": "bookings.tasks.expire_unpaid_bookings",
        "schedule": timedelta(minutes=1),
    },
    # Payments whose webhook never came (lost, or our endpoint was down): ask Chapa.
    "reconcile-pending-payments": {
        "task": "payments.tasks.reconcile_pending_payments",
        "schedule": timedelta(minutes=5),
    },
    # The request log's Redis buffer into PostgreSQL, in bulk (ip_tracking/request_log.py).
    "flush-request-log": {
        "task": "ip_tracking.tasks.flush_request_log",
        "schedule": timedelta(seconds=env.int("REQUEST_LOG_FLUSH_SECONDS", default=10)),
    },
    # Addresses that misbehaved in the last whole hour, flagged for review.
    "detect-suspicious-ips": {
        "task": "ip_tracking.tasks.detect_suspicious_ips",
        "schedule": timedelta(hours=1),
    },
    # Request logs and flags past their retention (IP addresses are personal data).
    "purge-ip-data": {
        "task": "ip_tracking.tasks.purge_ip_data",
        "schedule": timedelta(days=1),
    },
}

# BOOKINGS
# ------------------------------------------------------------------------------
# A pending booking holds its nights this long; unpaid after that, it is cancelled.
# The longest stay one booking may hold (a pending booking blocks its dates for everyone).
BOOKING_MAX_NIGHTS = env.int("BOOKING_MAX_NIGHTS", default=365)
BOOKING_PAYMENT_WINDOW = timedelta(minutes=env.int("BOOKING_PAYMENT_WINDOW_MINUTES", default=30))

# EMAIL
# ------------------------------------------------------------------------------
# Real SMTP in every profile: in the course it reaches a local SMTP sink, in production
# a real relay. Only the host and credentials change.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=1025)
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.secret("EMAIL_HOST_PASSWORD", default="")
# A dead mail server must not hang a request or a worker forever.
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Nexus Stays <bookings@nexus.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Retries of an email task (config/task_policy.py) wait 1, 2, 4, 8… s; with jitter each wait
# is random between 0 and that, so many failed emails don't all retry at the same moment.
# BOOKING_EMAIL_RETRY_JITTER is this variable's former name, still read (see .env.example).
EMAIL_TASK_RETRY_JITTER = env.bool(
    "EMAIL_TASK_RETRY_JITTER", default=env.bool("BOOKING_EMAIL_RETRY_JITTER", default=True)
)

# PAYMENTS (Chapa)
# ------------------------------------------------------------------------------
# https://developer.chapa.co/ — the payment client speaks HTTP to whatever CHAPA_BASE_URL
# says: the real API, or the course's local sandbox. Empty keys are fine until a payment
# is attempted; the client refuses to call Chapa without one.
CHAPA_BASE_URL = env("CHAPA_BASE_URL", default="https://api.chapa.co")
CHAPA_SECRET_KEY = env.secret("CHAPA_SECRET_KEY", default="")
CHAPA_WEBHOOK_SECRET = env.secret("CHAPA_WEBHOOK_SECRET", default="")
# The mode ("test" or "live") a verified payment must have to confirm a booking. Derived from
# the key by default; set CHAPA_MODE=live in production, so a test key left in place (or a
# test-mode payment) can never confirm a real booking with a test card.
CHAPA_MODE = env(
    "CHAPA_MODE", default="test" if CHAPA_SECRET_KEY.startswith("CHASECK_TEST-") else "live"
)
# What a client is told to wait (seconds, the Retry-After header) when Chapa is down or slow.
PAYMENTS_RETRY_AFTER = env.int("PAYMENTS_RETRY_AFTER", default=30)
# Beat's reconciliation verifies payments still pending after this long: the webhook should
# have arrived by then, so Chapa is asked directly. An attempt Chapa never heard of is
# marked failed once the booking's payment window has passed.
PAYMENTS_RECONCILE_AFTER = timedelta(minutes=env.int("PAYMENTS_RECONCILE_AFTER_MINUTES", default=5))

# CLIENT ADDRESSES
# ------------------------------------------------------------------------------
# How many proxies we run in front of the app (load balancer, nginx), each appending the
# address it saw to X-Forwarded-For: 0 (nothing in front) uses the socket's address and
# ignores the header; behind one load balancer, 1. Too high, and clients can name their own
# address. The variable DRF's throttles read too (REST_FRAMEWORK["NUM_PROXIES"], below): one
# number, so both count the same client. ip_tracking/client_ip.py reads this setting.
TRUSTED_PROXY_COUNT = env.int("DJANGO_NUM_PROXIES", default=0)

# IP TRACKING (ip_tracking/: the request pipeline's middleware)
# ------------------------------------------------------------------------------
# Redis keys of state that must outlive a deploy (rate counters, the request log's buffer),
# under this prefix; the default follows CACHE_KEY_PREFIX. If you rotate CACHE_KEY_PREFIX
# per release, fix this one, or the buffer of the old release is left behind unflushed.
IP_TRACKING_KEY_PREFIX = env("IP_TRACKING_KEY_PREFIX", default=CACHE_KEY_PREFIX)
# Requests per client address, counted in Redis across every worker and server ("600/min":
# ten a second, sustained for a minute; a person browsing sends far fewer). A coarse flood
# guard in front of everything; DRF's throttles keep the finer budgets. Empty: off.
IP_RATE_LIMIT = env("IP_RATE_LIMIT", default="600/min")
# Addresses and networks never counted. Loopback by default: health checks, `manage.py
# runserver`, and this course, whose lessons and tests send thousands of requests a minute
# from 127.0.0.1 (load tests, API fuzzing). A misconfigured proxy count behind a local
# nginx then means "no limit", not "every client shares one budget". Set it to empty (and
# send X-Forwarded-For with DJANGO_NUM_PROXIES=1) to see the limit act on your own requests.
IP_RATE_LIMIT_EXEMPT = env.list("IP_RATE_LIMIT_EXEMPT", default=["127.0.0.0/8", "::1/128"])
# The request log: a line per request on stdout (logger ip_tracking.requests, at INFO) and a
# RequestLog row, written in bulk from a Redis buffer by beat's flush-request-log.
REQUEST_LOG_ENABLED = env.bool("REQUEST_LOG_ENABLED", default=True)
# Store only each address's /24 (IPv4) or /48 (IPv6): privacy first, at the price of the
# anomaly check then flagging networks instead of addresses.
REQUEST_LOG_TRUNCATE_IPS = env.bool("REQUEST_LOG_TRUNCATE_IPS", default=False)
# The most lines the buffer holds (the oldest are dropped past it): ~100 bytes each.
REQUEST_LOG_BUFFER_MAX = env.int("REQUEST_LOG_BUFFER_MAX", default=100_000)
# Days a request log row and a suspicious-IP flag are kept (IP addresses are personal data:
# keep them only as long as their purpose needs). Deleted daily by purge-ip-data.
REQUEST_LOG_RETENTION_DAYS = env.int("REQUEST_LOG_RETENTION_DAYS", default=30)
SUSPICIOUS_IP_RETENTION_DAYS = env.int("SUSPICIOUS_IP_RETENTION_DAYS", default=90)
# The hourly anomaly check flags (for review, never blocks) an address that sent more than
# this many requests in an hour...
IP_ANOMALY_REQUESTS_PER_HOUR = env.int("IP_ANOMALY_REQUESTS_PER_HOUR", default=1000)
# ...or at least this many anonymous requests to these paths (the admin, the logins).
IP_ANOMALY_SENSITIVE_REQUESTS_PER_HOUR = env.int("IP_ANOMALY_SENSITIVE_REQUESTS_PER_HOUR",
                                                 default=30)
IP_ANOMALY_SENSITIVE_PATHS = ["/admin/", "/api/auth/"]
# Paths the three pass straight through: the health check (load balancers probe it every few
# seconds; see ip_tracking/middleware.py).
IP_TRACKING_EXEMPT_PATHS = ["/healthz"]
# A daily window, "HH:MM-HH:MM" in TIME_ZONE (may cross midnight, e.g. "23:30-00:15"), in
# which writes to the API get 503 + Retry-After while reads go on. Empty: no window.
MAINTENANCE_WINDOW = env("MAINTENANCE_WINDOW", default="")
MAINTENANCE_WINDOW_PATHS = ["/api/"]
# Chapa's webhook and callback: a payment already made must be recorded whatever the hour.
MAINTENANCE_WINDOW_EXEMPT_PATHS = ["/api/payments/webhook/", "/api/payments/callback/"]

# DJANGO REST FRAMEWORK
# ------------------------------------------------------------------------------
# https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    # Tried in order; the first that recognises the request wins. The order matters for
    # one more reason: an anonymous request that needs a login gets 401 (with a
    # WWW-Authenticate header naming the first class's scheme, here Bearer) only if the
    # first class defines such a header. SessionAuthentication defines none, so putting
    # it first would turn every "please log in" 401 into a misleading 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Reading is public, writing needs a login; views tighten this where they must.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticatedOrReadOnly",
    ],
    # Throttling limits how fast one client can call us: it protects capacity and slows
    # password guessing, but it is NOT a security boundary. Clients are counted by IP (or
    # by user once logged in); an attacker with many IPs, or a botnet, gets many
    # budgets, and counters live in a cache that may be flushed. Passwords stay safe
    # because of slow hashing and good passwords; throttling only makes abuse costlier.
    # https://www.django-rest-framework.org/api-guide/throttling/
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    # Counters are kept in the default cache (Redis), so every gunicorn worker and every
    # server shares them; a per-process memory cache would multiply each budget.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON_RATE", default="60/min"),
        "user": env("THROTTLE_USER_RATE", default="600/min"),
        # The endpoints that take a password (session login, token, JWT obtain).
        "login": env("THROTTLE_LOGIN_RATE", default="5/min"),
    },
    # How many proxies in front of us append to X-Forwarded-For. Unset (None), DRF trusts
    # the whole header, so any client can name a new IP per request and get a fresh
    # throttle budget; 0 (no proxy) uses the socket's address; behind one load balancer, 1.
    # (The same variable as TRUSTED_PROXY_COUNT above, which ip_tracking reads.)
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
    "DEFAULT_PAGINATION_CLASS": "config.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Turns errors raised by services (Django ValidationError, ConflictError) into
    # 400 and 409 responses in one place, so no view has to catch them.
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    # DRF's three, with a JSON parser that answers 400 to JSON nested too deep to decode.
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# JSON WEB TOKENS
# ------------------------------------------------------------------------------
# https://django-rest-framework-simplejwt.readthedocs.io/en/latest/settings.html
# An access token is checked by its signature and expiry, with no token lookup, so one can't
# be revoked before it expires (deactivating the user does stop it: JWTAuthentication loads
# the user on every request): keep access tokens short-lived and let clients refresh.
# Refresh tokens can be revoked: the token_blacklist app (INSTALLED_APPS) records each one
# issued, and every refresh looks its token up in the blacklist (one query). Logging out
# (POST /api/auth/jwt/logout/) blacklists the refresh token, and each refresh hands out a new
# one and blacklists the old, so a refresh token works once. Expired rows pile up in those
# tables: `manage.py flushexpiredtokens` deletes them (run it daily).
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens are signed with SIGNING_KEY, which defaults to SECRET_KEY; simplejwt ignores
    # SECRET_KEY_FALLBACKS, so rotating the secret ends every JWT session at once (access
    # and refresh), which is what a leaked secret calls for.
    # Don't write last_login on every token request: a database write per API call.
    "UPDATE_LAST_LOGIN": False,
}

# https://drf-spectacular.readthedocs.io/en/latest/settings.html
SPECTACULAR_SETTINGS = {
    "TITLE": "Nexus Stays API",
    "DESCRIPTION": (
        "Short-stay rentals across Ethiopia: browse listings, book stays, pay with Chapa. "
        "The sample project of the Project Nexus Workbook."
    ),
    "VERSION": "0.1.0",
    # The schema describes the API, not the endpoint that serves the schema itself.
    "SERVE_INCLUDE_SCHEMA": False,
    # Serve Swagger UI and ReDoc from drf-spectacular-sidecar's static files, not a CDN,
    # so the docs work offline and no third-party script runs on our pages.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # ReDoc's bundle from the sidecar too, less the logo it would fetch from cdn.redoc.ly:
    # served by config/api_docs.py at this prefix + /bundles/redoc.standalone.js.
    "REDOC_DIST": "/api/redoc",
    # ReDoc's default theme wants Montserrat and Roboto, which drf-spectacular's page
    # fetched from Google Fonts (our page doesn't): the reader's own fonts instead.
    # https://redocly.com/docs/redoc/config/ ("Theme settings")
    "REDOC_UI_SETTINGS": {
        "theme": {"typography": {"fontFamily": "system-ui, sans-serif",
                                 "headings": {"fontFamily": "system-ui, sans-serif"}}},
    },
    # Group operations by the tags set on each view, in this order in Swagger UI.
    "TAGS": [
        {"name": "listings", "description": "Browse, search and manage places to stay."},
        {"name": "bookings", "description": "Book a stay, see your bookings, cancel one."},
        {"name": "reviews", "description": "Rate a completed stay."},
        {"name": "auth", "description": "Sessions, DRF tokens and JWTs; who am I."},
    ],
    # Two models have a `status` field with different choices; name the enums apart.
    "ENUM_NAME_OVERRIDES": {
        "BookingStatusEnum": "bookings.models.BookingStatus",
        "CityEnum": "listings.models.City",
        "RoleEnum": "accounts.models.Role",
    },
    # Keep the "Authorize" dialog's token between page reloads while trying the API.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
}

# GRAPHQL
# ------------------------------------------------------------------------------
# https://strawberry.rocks/docs/django — the schema is config/schema.py, served at /graphql.
# Limits on what one query may ask for, checked before it runs: how deep it nests
# (listings → results → reviews → author is 4) and how many fields it renames with aliases
# (fifty aliases of one list field are fifty lists).
GRAPHQL_MAX_DEPTH = env.int("GRAPHQL_MAX_DEPTH", default=6)
GRAPHQL_MAX_ALIASES = env.int("GRAPHQL_MAX_ALIASES", default=15)
# Fields a query may ask for with its fragments written out in place: a few hundred bytes of
# fragments spreading each other twice expand to millions (config/graphql_limits.py).
GRAPHQL_MAX_SELECTIONS = env.int("GRAPHQL_MAX_SELECTIONS", default=1000)
# Tokens (names, braces, strings…) the parser reads before refusing a document: a bound on
# what every validation rule can be made to walk. graphql-core's introspection query: ~160.
GRAPHQL_MAX_TOKENS = env.int("GRAPHQL_MAX_TOKENS", default=2000)
# https://strawberry.rocks/docs/django/guide/pagination — like REST's PAGE_SIZE and its
# page_size cap: a list field returns 20 rows unless asked, never more than 100.
STRAWBERRY_DJANGO = {
    "PAGINATION_DEFAULT_LIMIT": 20,
    "PAGINATION_MAX_LIMIT": 100,
}

# LOGGING
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/logging/
# One handler to stdout, as twelve-factor apps do: the process manager (or the notebook)
# collects it. WARNING by default keeps normal runs quiet; set DJANGO_LOG_LEVEL=INFO
# or DEBUG to see more.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "verbose": {"format": "%(levelname)s %(asctime)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "verbose",
        },
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="WARNING")},
}
