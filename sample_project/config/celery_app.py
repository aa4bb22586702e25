"""The project's Celery application: ``celery -A config worker`` finds it here.

Configuration comes from Django's settings (the ``CELERY_``-prefixed ones in
``config/settings/base.py``), tasks from each app's ``tasks.py``. The module is called
``celery_app``, not ``celery``: a module named ``celery`` inside the project would shadow
the ``celery`` package itself.
"""

import os

from celery import Celery

# The same default as manage.py: a worker started by hand uses the development settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("nexus")
# namespace="CELERY": CELERY_TASK_ACKS_LATE in settings is Celery's task_acks_late.
app.config_from_object("django.conf:settings", namespace="CELERY")
# Import <app>/tasks.py of every installed app once Django has loaded them.
app.autodiscover_tasks()
