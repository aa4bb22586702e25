from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        # Importing the module is the wiring: its @receiver decorators connect the receivers,
        # each with a dispatch_uid, so a second import (or a second ready()) adds none.
        # Here, not in models.py or urls.py: ready() runs once every app's models are
        # loaded, for every process that sets Django up (gunicorn, a Celery worker, a shell,
        # a test run), whether or not it ever imports a view.
        from messaging import signals  # noqa: F401
