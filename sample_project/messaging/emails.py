"""The emails messaging sends: what they say, kept apart from when and how they are sent."""

from django.core.mail import EmailMessage

from messaging.models import Notification

#: How much of the message the email quotes; the rest is read in the inbox.
QUOTE_LENGTH = 500


def new_message_email(*, notification: Notification) -> EmailMessage:
    """The "you have a new message" email, quoting the start of the message."""
    user, message = notification.user, notification.message
    # What the conversation is about is stated by its first message.
    listing = (message.thread_root or message).listing
    quote = message.content[:QUOTE_LENGTH] + ("…" if len(message.content) > QUOTE_LENGTH else "")
    sender = message.sender.username
    body = "\n".join([
        f"Hello {user.first_name or user.username},",
        "",
        f"{sender} wrote to you about {listing.title}:",
        "",
        *(f"  {line}" for line in quote.splitlines()),
        "",
        "Reply from your inbox on Nexus Stays.",
        "",
        "Nexus Stays",
    ])
    return EmailMessage(
        subject=f"New message from {sender} about {listing.title}",
        body=body,
        to=[user.email],
        # Which notification this is: a duplicate that ever slipped through carries the same.
        headers={"X-Nexus-Notification": str(notification.pk)},
    )
