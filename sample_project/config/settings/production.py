"""Settings for deployment: secrets required, HTTPS enforced, static files via WhiteNoise.

Verify a configuration with ``python manage.py check --deploy``.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, LOGGING, env

# GENERAL
# ------------------------------------------------------------------------------
# Whatever DJANGO_DEBUG says: a debug page in production shows settings and source code
# to anyone who triggers an error.
DEBUG = False
# No default on purpose: without DJANGO_SECRET_KEY the process refuses to start
# (ImproperlyConfigured naming the variable) instead of running with a guessable key.
SECRET_KEY = env.secret("DJANGO_SECRET_KEY")
# No default either: Django must know which Host headers are really ours.
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
# Origins (scheme + host) allowed to send unsafe requests, e.g. https://stays.example.com
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# DATABASES
# ------------------------------------------------------------------------------
# Keep connections for a minute instead of opening one per request, and check them
# before reuse so a restarted database doesn't surface as an error on the next request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# SECURITY
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
# TLS ends at the proxy (load balancer, nginx); it tells us the original scheme in this
# header. Only trust it behind a proxy that sets (and strips) it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Health probes (Docker's HEALTHCHECK, a load balancer) call /healthz over plain HTTP from
# inside the network; a redirect to https:// would read as "unhealthy".
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
# The __Secure- prefix makes browsers refuse the cookie over plain HTTP.
SESSION_COOKIE_NAME = "__Secure-sessionid"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_NAME = "__Secure-csrftoken"
# https://docs.djangoproject.com/en/5.2/ref/middleware/#http-strict-transport-security
# Start small (60 s) and raise to a year (31536000) once HTTPS is known to work
# everywhere: browsers remember HSTS and won't let users reach an HTTP-only site.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Preload is the last step, off until a year-long max-age has run without trouble. It asks
# browsers to build the domain into their HSTS preload list: HTTPS-only even on a first
# visit, for every subdomain, and leaving the list takes months of browser releases.
# https://hstspreload.org accepts a domain only with max-age >= 31536000, includeSubDomains
# and preload.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
if SECURE_HSTS_PRELOAD and (SECURE_HSTS_SECONDS < 31536000 or not SECURE_HSTS_INCLUDE_SUBDOMAINS):
    raise ImproperlyConfigured(
        "DJANGO_SECURE_HSTS_PRELOAD=true needs DJANGO_SECURE_HSTS_SECONDS >= 31536000 and "
        "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS=true: the preload list refuses anything less."
    )
SECURE_CONTENT_TYPE_NOSNIFF = True
# check --deploy warns while preload is off (security.W021, "cannot be submitted to the
# preload list"): that is the decision above, taken on purpose, not an oversight.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# STATIC
# ------------------------------------------------------------------------------
# Hashed, compressed file names: browsers may cache them forever, and a deploy changes
# the names. Needs `manage.py collectstatic` at build time (the Dockerfile runs it).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Where collectstatic writes and WhiteNoise serves from; an image bakes the files in.
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))

# LOGGING
# ------------------------------------------------------------------------------
# Same stdout handler as base; production logs INFO by default and also records
# security events (DisallowedHost, suspicious operations) through the root logger.
LOGGING["root"]["level"] = env("DJANGO_LOG_LEVEL", default="INFO")
