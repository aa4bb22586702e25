"""Settings for development and the course notebooks: debug on, an insecure dev secret."""

from .base import *  # noqa: F403
from .base import env

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The "django-insecure-" prefix makes `check --deploy` flag this key if it ever ships.
SECRET_KEY = env.secret(
    "DJANGO_SECRET_KEY",
    default="django-insecure-local-only-9c1f0e7a2b4d4b7c8e3a6f5d1b2c0e9f",
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
