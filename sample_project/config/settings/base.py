"""Settings shared by every profile (local, test, production).

Everything that differs between machines comes from environment variables, read with
django-environ (https://django-environ.readthedocs.io/). Every variable read here or in
the profiles is documented in ``sample_project/.env.example``.
"""

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
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Reading is public, writing needs a login; views tighten this where they must.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticatedOrReadOnly",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
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
