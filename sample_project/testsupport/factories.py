"""factory-boy factories for the sample project's models.

Each factory builds a valid row with the fewest related objects it needs; tests set
only the fields they are about, which keeps each test's point visible.
"""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.contrib.auth.hashers import make_password

from accounts.models import Role, User
from bookings.models import Booking, BookingStatus, Review
from listings.models import City, Listing
from messaging.models import Message
from payments.models import Payment, PaymentStatus
from wishlists.models import WishlistItem

TEST_PASSWORD = "test-password-1234"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n:04d}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    role = Role.GUEST
    # A hashed password set directly: faster than set_password() in a post-generation hook.
    password = factory.LazyFunction(lambda: make_password(TEST_PASSWORD))


class HostFactory(UserFactory):
    username = factory.Sequence(lambda n: f"host{n:04d}")
    role = Role.HOST


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    host = factory.SubFactory(HostFactory)
    title = factory.Sequence(lambda n: f"Test stay {n}")
    description = "A place to stay."
    city = City.ADDIS_ABABA
    address = "House 1, Bole, Addis Ababa"
    price_per_night = Decimal("1500.00")
    max_guests = 4
    bedrooms = 2
    is_active = True


class BookingFactory(factory.django.DjangoModelFactory):
    """A confirmed three-night stay at a fresh listing (so it overlaps nothing)."""

    class Meta:
        model = Booking

    listing = factory.SubFactory(ListingFactory)
    guest = factory.SubFactory(UserFactory)
    check_in = date(2030, 3, 1)
    check_out = factory.LazyAttribute(lambda booking: booking.check_in + timedelta(days=3))
    guests = 2
    total_price = factory.LazyAttribute(
        lambda booking: (
            booking.listing.price_per_night * (booking.check_out - booking.check_in).days
        )
    )
    status = BookingStatus.CONFIRMED


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    booking = factory.SubFactory(BookingFactory, status=BookingStatus.COMPLETED)
    listing = factory.SelfAttribute("booking.listing")
    author = factory.SelfAttribute("booking.guest")
    rating = 5
    comment = "Lovely."


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    booking = factory.SubFactory(BookingFactory)
    tx_ref = factory.Sequence(lambda n: f"test-tx-{n:06d}")
    amount = factory.SelfAttribute("booking.total_price")
    status = PaymentStatus.PENDING


class WishlistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WishlistItem

    user = factory.SubFactory(UserFactory)
    listing = factory.SubFactory(ListingFactory)
    saved_price = factory.SelfAttribute("listing.price_per_night")


class MessageFactory(factory.django.DjangoModelFactory):
    """The first message of a thread: a guest's question to a listing's host.

    Created with ``save()``, so the receivers run: the receiver gets a Notification.
    """

    class Meta:
        model = Message

    listing = factory.SubFactory(ListingFactory)
    sender = factory.SubFactory(UserFactory)
    receiver = factory.SelfAttribute("listing.host")
    content = factory.Sequence(lambda n: f"Question {n}: is the place quiet at night?")


class ReplyFactory(factory.django.DjangoModelFactory):
    """An answer to ``parent_message``, from its receiver, in its thread."""

    class Meta:
        model = Message

    parent_message = factory.SubFactory(MessageFactory)
    thread_root = factory.LazyAttribute(
        lambda reply: reply.parent_message.thread_root or reply.parent_message)
    sender = factory.SelfAttribute("parent_message.receiver")
    receiver = factory.SelfAttribute("parent_message.sender")
    listing = None
    content = factory.Sequence(lambda n: f"Answer {n}: yes, very.")


def conversation(depth: int, **root_fields) -> list[Message]:
    """A thread ``depth`` replies deep, each answering the one before: [root, reply 1, …]."""
    messages = [MessageFactory(**root_fields)]
    for _ in range(depth):
        messages.append(ReplyFactory(parent_message=messages[-1]))
    return messages
