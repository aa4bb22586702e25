"""Writes for messaging (HackSoft style: every state change goes through a service).

Two effects of a write are not here but in ``messaging/signals.py``, because they must follow
*every* save of a message, whichever code makes it: the edit history (``pre_save``) and the
receiver's notification (``post_save``). The services make the rules — who may write to whom,
about what, who may edit — and open the transaction those receivers run in.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking
from listings.models import Listing
from messaging.cache import bump_unread_on_commit
from messaging.emails import new_message_email
from messaging.models import MESSAGE_MAX_LENGTH, Message, Notification


def _checked_content(content: str) -> str:
    """``content`` without surrounding whitespace; ValidationError if empty or too long."""
    text = content.strip()
    if not text:
        raise ValidationError({"content": "A message needs some content."})
    if len(text) > MESSAGE_MAX_LENGTH:
        raise ValidationError(
            {"content": f"A message can be at most {MESSAGE_MAX_LENGTH} characters long."})
    return text


def thread_start(
    *,
    sender: User,
    content: str,
    listing: Listing | None = None,
    booking: Booking | None = None,
) -> Message:
    """Start a conversation: about ``listing`` (to its host) or ``booking`` (between its guest
    and its listing's host); exactly one of the two.

    Raises ValidationError (400) for an enquiry about your own listing or an inactive one, and
    PermissionDenied (403) when ``sender`` is neither the guest nor the host of ``booking`` (an
    admin can see every booking, but is not a party to it).
    """
    if (listing is None) == (booking is None):
        raise ValueError("Pass exactly one of listing and booking.")
    content = _checked_content(content)
    if booking is not None:
        listing = booking.listing
        participants = {booking.guest_id: listing.host_id, listing.host_id: booking.guest_id}
        if sender.pk not in participants:
            raise PermissionDenied(
                "Only the booking's guest and its listing's host can write about it.")
        receiver_id = participants[sender.pk]
    else:
        if listing.host_id == sender.pk:
            raise ValidationError(
                {"listing": "This is your own listing: guests write to you about it."})
        if not listing.is_active:
            raise ValidationError({"listing": "This listing is not taking enquiries."})
        receiver_id = listing.host_id
    # Atomic: the post_save receiver writes the notification inside save(), so the message
    # and its notification are stored together or not at all.
    with transaction.atomic():
        return Message.objects.create(
            sender=sender,
            receiver_id=receiver_id,
            # The booking's own listing, never another: what the thread is about can't
            # contradict itself (like Review.listing, copied from its booking).
            listing=listing,
            booking=booking,
            content=content,
        )


def message_reply(*, sender: User, parent: Message, content: str) -> Message:
    """``sender`` answers ``parent``; the reply goes to the thread's other participant.

    Raises PermissionDenied (403) when ``sender`` is not a participant of the thread.
    """
    if sender.pk not in (parent.sender_id, parent.receiver_id):
        raise PermissionDenied("Only the two participants of a conversation can reply to it.")
    content = _checked_content(content)
    receiver_id = parent.receiver_id if parent.sender_id == sender.pk else parent.sender_id
    with transaction.atomic():
        return Message.objects.create(
            sender=sender,
            receiver_id=receiver_id,
            parent_message=parent,
            # The thread's first message, copied from the parent: one query then fetches the
            # whole thread (selectors.thread_tree).
            thread_root_id=parent.thread_root_id or parent.pk,
            content=content,
        )


def message_edit(*, message: Message, editor: User, content: str) -> Message:
    """``editor`` changes the content of their own message; its old content is kept.

    The ``pre_save`` receiver (``messaging/signals.py``) writes the old content to
    ``MessageHistory`` and sets ``edited``. Saving the same content again changes nothing and
    keeps no history. Raises PermissionDenied (403) for someone else's message.
    """
    if editor.pk != message.sender_id:
        raise PermissionDenied("Only its sender can edit a message.")
    content = _checked_content(content)
    with transaction.atomic():
        # Lock the row: two edits at once would both read the same "old" content, and the
        # version between them would be missing from the history.
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.content != content:
            locked.content = content
            # update_fields must name "edited": the receiver sets it on the instance, and a
            # save with update_fields writes only the fields it names.
            locked.save(update_fields=["content", "edited"])
    message.content, message.edited = locked.content, locked.edited
    return message


def thread_mark_read(*, root: Message, user: User) -> int:
    """Mark the messages ``user`` received in the thread of ``root`` as read; how many.

    One UPDATE. ``QuerySet.update()`` calls no ``save()`` and sends no ``pre_save`` or
    ``post_save``, so no receiver hears of it: this function tells the unread cache itself.
    """
    with transaction.atomic():
        marked = (
            Message.objects.in_thread(root).filter(receiver=user, read=False).update(read=True)
        )
        if marked:
            bump_unread_on_commit(user.pk)
    return marked


def notification_create(*, message: Message) -> Notification:
    """Notify ``message``'s receiver: a row now, an email from a worker after the commit.

    Called by the ``post_save`` receiver for every new message. The email leaves the database,
    so it is queued only once the transaction commits (``delay_on_commit``): queued earlier, a
    worker could look for a notification that isn't committed yet, or email about a message
    whose transaction then rolled back.
    """
    from messaging.tasks import send_notification_email  # tasks.py imports this module

    notification = Notification.objects.create(user_id=message.receiver_id, message=message)
    send_notification_email.delay_on_commit(notification.pk)
    return notification


def notification_email_send(*, notification: Notification) -> bool:
    """Email ``notification``'s user about their new message; True if sent now.

    Idempotent, like ``booking_confirmation_send``: the row is locked, ``emailed_at`` decides,
    and it is set in the same transaction as the send, so a task delivered twice sends once.
    Nothing is sent to an inactive account or one without an email address.
    """
    with transaction.atomic():
        # of=("self",): lock the notification only, not the rows joined to it.
        locked = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("user", "message__sender", "message__listing",
                            "message__thread_root__listing")
            .filter(pk=notification.pk)
            .first()
        )
        if locked is None:
            return False  # its message (or account) was deleted meanwhile
        if locked.emailed_at is not None or not locked.user.is_active or not locked.user.email:
            return False
        new_message_email(notification=locked).send()
        emailed_at = timezone.now()
        Notification.objects.filter(pk=locked.pk).update(emailed_at=emailed_at)
    notification.emailed_at = emailed_at
    return True
