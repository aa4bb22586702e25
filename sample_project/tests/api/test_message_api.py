"""/api/threads/, /api/messages/ and /api/notifications/ through DRF's test client: what they
answer, to whom, what they refuse (a 400 with field errors, never a 500), and what a request
costs in queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.models import MESSAGE_MAX_LENGTH, Message, MessageHistory
from testsupport.factories import (
    BookingFactory,
    ListingFactory,
    MessageFactory,
    UserFactory,
    conversation,
)

pytestmark = pytest.mark.django_db

THREADS, MESSAGES = "/api/threads/", "/api/messages/"


@pytest.mark.parametrize(("method", "path"), [
    ("get", THREADS), ("get", f"{THREADS}1/"), ("post", f"{THREADS}1/read/"),
    ("post", MESSAGES), ("patch", f"{MESSAGES}1/"), ("get", f"{MESSAGES}1/history/"),
    ("get", f"{MESSAGES}unread/"), ("get", f"{MESSAGES}unread-count/"),
    ("get", "/api/notifications/"),
])  # fmt: skip
def test_anonymous_clients_get_401(api_client, method, path):
    assert getattr(api_client, method)(path).status_code == 401


def test_a_conversation_from_question_to_edited_answer(client_for):
    guest, listing = UserFactory(), ListingFactory()
    host = listing.host
    as_guest, as_host = client_for(guest), client_for(host)

    asked = as_guest.post(MESSAGES, {"listing": listing.pk, "content": "Is there parking?"},
                          format="json")
    assert asked.status_code == 201, asked.data
    thread = asked.data["thread"]
    assert asked.data["id"] == thread and asked.data["receiver"]["id"] == host.pk

    answered = as_host.post(MESSAGES, {"parent_message": thread, "content": "Yes, one car."},
                            format="json")
    assert answered.status_code == 201 and answered.data["receiver"]["id"] == guest.pk
    edited = as_host.patch(f"{MESSAGES}{answered.data['id']}/",
                           {"content": "Yes, for two cars."}, format="json")
    assert edited.status_code == 200 and edited.data["edited"] is True

    [row] = as_guest.get(THREADS).data["results"]
    assert (row["id"], row["listing"], row["reply_count"], row["unread"]) == (
        thread, {"id": listing.pk, "title": listing.title}, 1, 1)
    assert "content" not in row  # the inbox shows no text (and loads none)

    tree = as_guest.get(f"{THREADS}{thread}/").data
    assert (tree["content"], tree["listing"]["id"], tree["booking"]) == (
        "Is there parking?", listing.pk, None)
    [reply] = tree["replies"]
    assert (reply["content"], reply["edited"], reply["replies"]) == (
        "Yes, for two cars.", True, [])

    history = as_guest.get(f"{MESSAGES}{answered.data['id']}/history/").data["results"]
    assert [entry["old_content"] for entry in history] == ["Yes, one car."]

    assert as_guest.get(f"{MESSAGES}unread/").data["count"] == 1
    assert as_guest.post(f"{THREADS}{thread}/read/").data == {"marked": 1}
    assert as_guest.get(f"{MESSAGES}unread/").data["count"] == 0
    assert as_host.get("/api/notifications/").data["results"][0]["message"] == thread


def test_a_booking_thread_names_the_booking(client_for):
    booking = BookingFactory()
    response = client_for(booking.listing.host).post(
        MESSAGES, {"booking": booking.pk, "content": "Your room is ready from 10."},
        format="json")
    assert response.status_code == 201 and response.data["receiver"]["id"] == booking.guest_id
    [row] = client_for(booking.guest).get(THREADS).data["results"]
    assert (row["booking"], row["listing"]["id"]) == (booking.pk, booking.listing_id)


class TestValidation:
    @pytest.mark.parametrize(("body", "field"), [
        ({}, "content"),
        ({"content": "Hello"}, "non_field_errors"),
        ({"listing": "LISTING", "parent_message": "MESSAGE", "content": "Both"},
         "non_field_errors"),
        ({"listing": "abc", "content": "Hello"}, "listing"),
        ({"listing": 987654321, "content": "Hello"}, "listing"),
        ({"listing": [1], "content": "Hello"}, "listing"),
        ({"booking": None, "content": "Hello"}, "booking"),
        ({"parent_message": {"id": 1}, "content": "Hello"}, "parent_message"),
        ({"listing": "LISTING", "content": ""}, "content"),
        ({"listing": "LISTING", "content": "   "}, "content"),
        ({"listing": "LISTING", "content": "x" * (MESSAGE_MAX_LENGTH + 1)}, "content"),
        ({"listing": "LISTING", "content": {"text": "Hello"}}, "content"),
        ({"listing": "LISTING", "content": None}, "content"),
    ])  # fmt: skip
    def test_bad_input_is_a_400_naming_the_field(self, client_for, body, field):
        user, listing = UserFactory(), ListingFactory()
        ids = {"LISTING": listing.pk, "MESSAGE": MessageFactory(sender=user).pk}
        body = {key: ids.get(value, value) if isinstance(value, str) else value
                for key, value in body.items()}
        response = client_for(user).post(MESSAGES, body, format="json")
        assert response.status_code == 400 and field in response.data, response.data
        assert Message.objects.count() == 1  # the one made above

    def test_a_hosts_own_listing_is_a_400_from_the_service(self, client_for):
        listing = ListingFactory()
        response = client_for(listing.host).post(
            MESSAGES, {"listing": listing.pk, "content": "Hello me"}, format="json")
        assert response.status_code == 400 and "listing" in response.data

    @pytest.mark.parametrize("body", [{}, {"content": ""}, {"content": ["a"]},
                                      {"content": "x" * (MESSAGE_MAX_LENGTH + 1)}])
    def test_a_bad_edit_is_a_400_and_changes_nothing(self, client_for, body):
        message = MessageFactory(content="Original")
        response = client_for(message.sender).patch(f"{MESSAGES}{message.pk}/", body,
                                                    format="json")
        assert response.status_code == 400 and "content" in response.data
        assert Message.objects.get(pk=message.pk).content == "Original"
        assert not MessageHistory.objects.exists()

    def test_a_json_array_body_is_a_400(self, client_for):
        response = client_for(UserFactory()).post(MESSAGES, [1, 2], format="json")
        assert response.status_code == 400


class TestWhoSeesWhat:
    def test_outsiders_get_404_for_a_thread_and_its_messages(self, client_for):
        root, reply = conversation(1)
        outsider = client_for(UserFactory(role="admin"))  # admins included: private mail
        assert outsider.get(f"{THREADS}{root.pk}/").status_code == 404
        assert outsider.post(f"{THREADS}{root.pk}/read/").status_code == 404
        assert outsider.patch(f"{MESSAGES}{reply.pk}/", {"content": "x"},
                              format="json").status_code == 404
        assert outsider.get(f"{MESSAGES}{reply.pk}/history/").status_code == 404
        assert outsider.get(THREADS).data["count"] == 0

    def test_an_outsiders_reply_is_refused_like_an_unknown_id(self, client_for):
        root = MessageFactory()
        response = client_for(UserFactory()).post(
            MESSAGES, {"parent_message": root.pk, "content": "Me too"}, format="json")
        assert response.status_code == 400 and "does not exist" in str(response.data)

    def test_the_other_participant_sees_but_may_not_edit(self, client_for):
        message = MessageFactory(content="Original")
        response = client_for(message.receiver).patch(f"{MESSAGES}{message.pk}/",
                                                      {"content": "Forged"}, format="json")
        assert response.status_code == 403
        assert Message.objects.get(pk=message.pk).content == "Original"

    def test_a_reply_is_no_thread(self, client_for):
        root, reply = conversation(1)
        assert client_for(root.sender).get(f"{THREADS}{reply.pk}/").status_code == 404

    @pytest.mark.parametrize("path", [f"{THREADS}abc/", f"{THREADS}987654321/",
                                      f"{MESSAGES}abc/history/"])
    def test_unknown_ids_are_a_json_404(self, client_for, path):
        response = client_for(UserFactory()).get(path)
        assert response.status_code == 404 and response["Content-Type"] == "application/json"


class TestQueries:
    @pytest.mark.parametrize("replies", [1, 10])
    def test_a_thread_costs_the_same_queries_at_any_depth(self, client_for,
                                                          django_assert_num_queries, replies):
        root = conversation(replies)[0]
        client = client_for(root.sender)
        # The user from the JWT, the thread's first message (404 unless yours), the thread.
        with django_assert_num_queries(3):
            response = client.get(f"{THREADS}{root.pk}/")
        assert response.status_code == 200
        node, levels = response.data, 0
        while node["replies"]:
            node, levels = node["replies"][0], levels + 1
        assert levels == replies

    @pytest.mark.parametrize("threads", [1, 8])
    def test_the_inbox_costs_the_same_queries_at_any_size(self, client_for,
                                                          django_assert_num_queries, threads):
        guest = UserFactory()
        for _ in range(threads):
            conversation(2, sender=guest)
        # The user from the JWT, the paginator's count, the page of threads.
        with django_assert_num_queries(3):
            response = client_for(guest).get(THREADS)
        assert response.data["count"] == threads

    def test_a_reply_reads_its_parent_without_its_text(self, client_for):
        # VisibleMessageField defers content: who the parent is from and to, and its thread,
        # are all a reply needs.
        root = MessageFactory()
        with CaptureQueriesContext(connection) as queries:
            response = client_for(root.receiver).post(
                MESSAGES, {"parent_message": root.pk, "content": "Yes"}, format="json")
        assert response.status_code == 201
        reads = [q["sql"] for q in queries
                 if q["sql"].startswith("SELECT") and 'FROM "messaging_message"' in q["sql"]]
        assert reads and not any('"messaging_message"."content"' in sql for sql in reads)
