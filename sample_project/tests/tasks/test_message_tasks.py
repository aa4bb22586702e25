"""messaging/tasks.py run by a real Celery worker: the new-message email, over SMTP.

The worker is ``celery -A config worker`` (a subprocess the tests start) on the real broker,
pointed at pytest-django's test database and at an SMTP server of the tests' own. The message
must be committed before the task is queued (``post_save`` → ``notification_create`` →
``delay_on_commit``), so these tests use ``transaction=True``, as production commits.
"""

from __future__ import annotations

import pytest

from messaging.models import Notification
from messaging.services import message_reply, thread_start
from messaging.tasks import send_notification_email
from testsupport.factories import HostFactory, ListingFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def emailed(notification: Notification) -> bool:
    """Whether the worker's record of the email is committed (a moment after the mail is out)."""
    return Notification.objects.filter(pk=notification.pk, emailed_at__isnull=False).exists()


def test_a_message_and_its_reply_each_email_their_receiver_once(worker, sink):
    guest = UserFactory(first_name="Selam")
    listing = ListingFactory(host=HostFactory(first_name="Almaz"), title="Lakeside room")
    question = thread_start(sender=guest, listing=listing, content="Is there a boat trip?")
    answer = message_reply(sender=listing.host, parent=question, content="Yes, at 7 each day.")
    notified = [Notification.objects.get(message=m) for m in (question, answer)]
    worker.until(lambda: all(map(emailed, notified)))

    [to_host] = sink.to(listing.host.email)
    assert to_host.subject == f"New message from {guest.username} about Lakeside room"
    assert "Hello Almaz," in to_host.body and "Is there a boat trip?" in to_host.body
    [to_guest] = sink.to(guest.email)
    assert "Hello Selam," in to_guest.body and "Yes, at 7 each day." in to_guest.body
    # Delivered again (a retry, a redelivery): the record says it was sent.
    assert send_notification_email.delay(notified[0].pk).get(timeout=15) is False
    assert len(sink.to(listing.host.email)) == 1


def test_a_notification_deleted_before_the_worker_ran_is_no_error(worker):
    question = thread_start(sender=UserFactory(), listing=ListingFactory(), content="Hello?")
    notification = Notification.objects.get(message=question)
    question.delete()  # CASCADE takes the notification
    assert send_notification_email.delay(notification.pk).get(timeout=15) is False
