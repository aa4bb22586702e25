"""The unread badge (/api/messages/unread-count/) against a real Redis: cached per user, and
current on the next request after every write path that changes it — a new message (a
receiver), a thread marked read (``update()``: the service bumps), a cascade (a receiver).

Invalidation runs on commit, so these tests use ``transaction=True``: each write commits.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.services import message_reply, thread_mark_read
from testsupport.factories import MessageFactory, UserFactory, conversation

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/messages/unread-count/"


def badge(client) -> tuple[int, int]:
    """The unread count the API answers, and how many queries it took."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL)
    assert response.status_code == 200
    return response.data["unread"], len(captured)


def test_a_repeat_request_skips_the_count(client_for):
    message = MessageFactory()
    client = client_for(message.receiver)
    assert badge(client) == (1, 2)  # the user from the JWT, the COUNT
    assert badge(client) == (1, 1)  # the user only


def test_new_messages_and_reading_show_on_the_next_request(client_for):
    root = MessageFactory()
    host, guest = root.receiver, root.sender
    client = client_for(host)
    assert badge(client)[0] == 1
    MessageFactory(sender=UserFactory(), listing=root.listing)  # another guest asks
    assert badge(client)[0] == 2
    message_reply(sender=guest, parent=root, content="And is there Wi-Fi?")
    assert badge(client)[0] == 3
    thread_mark_read(root=root, user=host)  # QuerySet.update(): the service bumps
    assert badge(client)[0] == 1


def test_one_users_count_is_never_served_to_another(client_for):
    root, _ = conversation(1)
    assert badge(client_for(root.receiver))[0] == 1
    assert badge(client_for(root.sender))[0] == 1
    assert badge(client_for(UserFactory()))[0] == 0


def test_a_deleted_account_takes_its_unread_messages_off_the_other_badge(client_for):
    guest = UserFactory()
    MessageFactory(sender=guest)
    host_client = client_for(MessageFactory(sender=guest).receiver)
    assert badge(host_client)[0] == 1
    guest.delete()  # CASCADE deletes the question; its post_delete bumps the host's badge
    assert badge(host_client)[0] == 0
