"""Project package: settings, root URLconf, the WSGI/ASGI entry points and the Celery app.

The Celery app is imported here so that it exists whenever Django starts (gunicorn, manage.py,
a notebook): ``@shared_task`` functions then bind to it, and ``.delay()`` reaches our broker.
"""

from .celery_app import app as celery_app

__all__ = ("celery_app",)
