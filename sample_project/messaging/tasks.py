"""Background work for messaging, run by a Celery worker: fetch by id, call a service."""

from celery import shared_task

from config.task_policy import EMAIL_TASK_OPTIONS
from messaging.models import Notification
from messaging.services import notification_email_send


# Late acks are safe: the service records the send, so a redelivered message sends nothing.
@shared_task(**EMAIL_TASK_OPTIONS)
def send_notification_email(notification_id: int) -> bool:
    """Email the user of notification ``notification_id`` about their new message."""
    notification = Notification.objects.filter(pk=notification_id).first()
    # Gone: its message or an account was deleted after it was queued (CASCADE took it).
    # Nothing to say, nothing to fail.
    if notification is None:
        return False
    return notification_email_send(notification=notification)
