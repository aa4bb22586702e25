"""WSGI entry point, used by gunicorn: ``gunicorn config.wsgi``.

Production must say which settings to use; the default here is the safe-to-run
local profile, never production by accident.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_wsgi_application()
