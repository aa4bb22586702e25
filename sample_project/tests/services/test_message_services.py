"""messaging.services, called directly: who may write to whom and about what, replies, edits,
marking read, and the notification email."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from bookings.models import BookingStatus
from messaging.models import MESSAGE_MAX_LENGTH, Message, MessageHistory, Notification
from messaging.services import (
    message_edit,
    message_reply,
    notification_email_send,
    thread_mark_read,
    thread_start,
)
from testsupport.factories import (
    BookingFactory,
    HostFactory,
    ListingFactory,
    MessageFactory,
    UserFactory,
    conversation,
)

pytestmark = pytest.mark.django_db


class TestThreadStart:
    def test_an_enquiry_goes_to_the_listings_host(self):
        guest, listing = UserFactory(), ListingFactory()
        message = thread_start(sender=guest, listing=listing, content="  Is there parking?  ")
        assert (message.receiver, message.listing, message.booking) == (listing.host, listing,
                                                                       None)
        assert message.content == "Is there parking?"  # surrounding spaces dropped
        assert (message.parent_message, message.thread_root) == (None, None)

    @pytest.mark.parametrize("who", ["guest", "host"])
    def test_a_booking_thread_is_between_its_guest_and_host(self, who):
        booking = BookingFactory()
        guest, host = booking.guest, booking.listing.host
        sender, receiver = (guest, host) if who == "guest" else (host, guest)
        message = thread_start(sender=sender, booking=booking, content="About our stay")
        assert (message.receiver, message.booking, message.listing) == (
            receiver, booking, booking.listing)

    def test_nobody_else_writes_about_a_booking(self):
        booking = BookingFactory(status=BookingStatus.PENDING)
        with pytest.raises(PermissionDenied):
            thread_start(sender=UserFactory(role="admin"), booking=booking, content="Hello")
        assert not Message.objects.exists()

    def test_a_host_does_not_enquire_about_their_own_listing(self):
        listing = ListingFactory()
        with pytest.raises(ValidationError) as refused:
            thread_start(sender=listing.host, listing=listing, content="Hello")
        assert "listing" in refused.value.message_dict

    def test_an_inactive_listing_takes_no_enquiries(self):
        with pytest.raises(ValidationError, match="not taking enquiries"):
            thread_start(sender=UserFactory(), listing=ListingFactory(is_active=False),
                         content="Hello")

    @pytest.mark.parametrize("content", ["", "   \n ", "x" * (MESSAGE_MAX_LENGTH + 1)])
    def test_empty_or_too_long_content_is_refused(self, content):
        with pytest.raises(ValidationError) as refused:
            thread_start(sender=UserFactory(), listing=ListingFactory(), content=content)
        assert "content" in refused.value.message_dict

    def test_exactly_one_subject(self):
        booking = BookingFactory()
        with pytest.raises(ValueError):
            thread_start(sender=booking.guest, listing=booking.listing, booking=booking,
                         content="Both")
        with pytest.raises(ValueError):
            thread_start(sender=booking.guest, content="Neither")


class TestMessageReply:
    def test_replies_alternate_and_share_the_threads_root(self):
        root = MessageFactory()
        answer = message_reply(sender=root.receiver, parent=root, content="Yes")
        again = message_reply(sender=root.sender, parent=answer, content="Thanks")
        also = message_reply(sender=root.sender, parent=root, content="One more thing")
        assert answer.receiver == root.sender and again.receiver == root.receiver
        assert also.receiver == root.receiver  # the guest writes again: still to the host
        assert {answer.thread_root, again.thread_root, also.thread_root} == {root}
        assert (answer.listing, answer.booking) == (None, None)  # the thread's subject is root's

    def test_only_participants_reply(self):
        root = MessageFactory()
        with pytest.raises(PermissionDenied):
            message_reply(sender=UserFactory(), parent=root, content="Me too")


class TestMessageEdit:
    def test_the_sender_edits_and_the_old_content_is_kept(self):
        message = MessageFactory(content="Is there Wi-Fi?")
        edited = message_edit(message=message, editor=message.sender,
                              content="Is there fast Wi-Fi?")
        assert (edited.content, edited.edited) == ("Is there fast Wi-Fi?", True)
        assert MessageHistory.objects.get().old_content == "Is there Wi-Fi?"

    def test_the_receiver_may_not_edit(self):
        message = MessageFactory(content="Original")
        with pytest.raises(PermissionDenied):
            message_edit(message=message, editor=message.receiver, content="Forged")
        assert Message.objects.get(pk=message.pk).content == "Original"

    def test_an_empty_edit_is_refused(self):
        message = MessageFactory()
        with pytest.raises(ValidationError):
            message_edit(message=message, editor=message.sender, content=" ")


class TestThreadMarkRead:
    def test_marks_what_the_user_received_in_that_thread_only(self):
        guest = UserFactory()
        root, answer, _, answer2 = conversation(3, sender=guest)
        _, other_answer = conversation(1, sender=guest)
        assert thread_mark_read(root=root, user=guest) == 2
        assert set(Message.objects.filter(read=True)) == {answer, answer2}
        assert thread_mark_read(root=root, user=guest) == 0  # nothing left
        assert thread_mark_read(root=root, user=root.receiver) == 2  # the host's side
        assert not Message.objects.get(pk=other_answer.pk).read


class TestNotificationEmail:
    def test_emails_the_receiver_once(self, mailoutbox):
        host = HostFactory(first_name="Almaz")
        listing = ListingFactory(host=host, title="Cosy tukul near the churches")
        message = MessageFactory(listing=listing, content="Can we arrive at 10?")
        notification = Notification.objects.get(message=message)
        assert notification_email_send(notification=notification) is True
        assert notification_email_send(notification=notification) is False  # sent before
        [mail] = mailoutbox
        assert mail.to == [host.email]
        assert mail.subject == (f"New message from {message.sender.username} about "
                                "Cosy tukul near the churches")
        assert "Hello Almaz," in mail.body and "  Can we arrive at 10?" in mail.body
        assert mail.extra_headers["X-Nexus-Notification"] == str(notification.pk)
        assert Notification.objects.get(pk=notification.pk).emailed_at is not None

    def test_a_reply_names_the_threads_listing(self, mailoutbox):
        root, reply = conversation(1)
        notification_email_send(notification=Notification.objects.get(message=reply))
        assert mailoutbox[0].subject.endswith(f"about {root.listing.title}")
        assert mailoutbox[0].to == [root.sender.email]

    @pytest.mark.parametrize("receiver", [{"is_active": False}, {"email": ""}])
    def test_nobody_to_email_sends_nothing(self, mailoutbox, receiver):
        host = HostFactory(**receiver)
        message = MessageFactory(listing=ListingFactory(host=host))
        assert notification_email_send(
            notification=Notification.objects.get(message=message)) is False
        assert mailoutbox == []

    def test_a_deleted_notification_sends_nothing(self, mailoutbox):
        message = MessageFactory()
        notification = Notification.objects.get(message=message)
        message.delete()
        assert notification_email_send(notification=notification) is False
        assert mailoutbox == []
