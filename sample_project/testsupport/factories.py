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
