"""Settings shared by every profile (local, test, production).

Everything that differs between machines comes from environment variables, read with
django-environ (https://django-environ.readthedocs.io/). Every variable read here or in
the profiles is documented in ``sample_project/.env.example``.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

# sample_project/ — the folder that holds manage.py and the apps.
BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

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
    "django_filters",
    "drf_spectacular",
    # Swagger UI / ReDoc files served from our own static files: /api/docs/ works offline.
    "drf_spectacular_sidecar",
]
LOCAL_APPS = [
    "accounts",
    "listings",
    "bookings",
    "payments",
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
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware, as WhiteNoise's docs ask, so static files skip the rest.
    "whitenoise.middleware.WhiteNoiseMiddleware",
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

# TEMPLATES
# ------------------------------------------------------------------------------
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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
# Django's built-in Redis backend; REDIS_URL may be redis://host:port/db or
# unix:///path/to/redis.sock?db=1. The key prefix namespaces this project's keys, so
# two projects (or two deploys, or two test runs) can share one Redis safely.
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", default="nexus")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("REDIS_URL"),
        "KEY_PREFIX": CACHE_KEY_PREFIX,
    }
}

# CELERY
# ------------------------------------------------------------------------------
# Read now so every profile knows where its broker is; the Celery app itself lives in
# config/celery_app.py once background tasks arrive. A RabbitMQ broker is
# amqp://user:password@host:5672//.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=env("REDIS_URL"))
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=env("REDIS_URL"))
CELERY_TIMEZONE = TIME_ZONE

# EMAIL
# ------------------------------------------------------------------------------
# Real SMTP in every profile: in the course it reaches a local SMTP sink, in production
# a real relay. Only the host and credentials change.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=1025)
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
# A dead mail server must not hang a request or a worker forever.
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Nexus Stays <bookings@nexus.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# PAYMENTS (Chapa)
# ------------------------------------------------------------------------------
# https://developer.chapa.co/ — the payment client speaks HTTP to whatever CHAPA_BASE_URL
# says: the real API, or the course's local sandbox. Empty keys are fine until a payment
# is attempted; the client refuses to call Chapa without one.
CHAPA_BASE_URL = env("CHAPA_BASE_URL", default="https://api.chapa.co")
CHAPA_SECRET_KEY = env("CHAPA_SECRET_KEY", default="")
CHAPA_WEBHOOK_SECRET = env("CHAPA_WEBHOOK_SECRET", default="")

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
    # Behind a proxy, set NUM_PROXIES so the client's IP is read from X-Forwarded-For
    # instead of counting every user as the proxy's one address.
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
    "DEFAULT_PAGINATION_CLASS": "config.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Turns errors raised by services (Django ValidationError, ConflictError) into
    # 400 and 409 responses in one place, so no view has to catch them.
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# JSON WEB TOKENS
# ------------------------------------------------------------------------------
# https://django-rest-framework-simplejwt.readthedocs.io/en/latest/settings.html
# A JWT is checked by its signature alone, with no database lookup, so it cannot be
# revoked before it expires: keep access tokens short-lived and let clients refresh.
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=1)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens are signed with SECRET_KEY (simplejwt's default): rotating the secret
    # logs everyone out, which is what a leaked secret calls for.
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
    "REDOC_DIST": "SIDECAR",
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
