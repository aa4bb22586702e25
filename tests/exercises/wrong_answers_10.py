"""Plausible wrong answers to the exercises of lesson 10, each with the hint its check must give.

``WRONG_ANSWERS`` maps an exercise id to ``[(wrong answer, a phrase of the hint meant for it)]``.
A check that accepts one of these, or rejects it with another hint, is a defect. ``probe.py`` runs
them in a fresh process where ``nexus.start`` has set Django up.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

# --- 10.1 a test for booking_create ---------------------------------------------------------------
IN_A_YEAR = date.today() + timedelta(days=365)


def _stay(listing, guest, *, guests=2, nights=3, start=IN_A_YEAR):
    return {"listing": listing, "guest": guest, "check_in": start,
            "check_out": start + timedelta(days=nights), "guests": guests}


def test_only_that_it_saves(create, listing, guest):
    booking = create(**_stay(listing, guest))
    assert booking.pk is not None and booking.status == "pending"


def test_price_only(create, listing, guest):
    booking = create(**_stay(listing, guest))
    assert booking.total_price == listing.price_per_night * 3


def test_price_and_guests_only(create, listing, guest):
    from django.core.exceptions import ValidationError

    booking = create(**_stay(listing, guest))
    assert booking.total_price == listing.price_per_night * 3
    with pytest.raises(ValidationError):
        create(**_stay(listing, guest, guests=listing.max_guests + 1,
                       start=IN_A_YEAR + timedelta(days=30)))


def test_counts_the_check_out_night(create, listing, guest):
    booking = create(**_stay(listing, guest))
    assert booking.total_price == listing.price_per_night * 4  # check-in to check-out inclusive


def test_in_the_past(create, listing, guest):
    start = date(2020, 1, 1)
    booking = create(**_stay(listing, guest, start=start))
    assert booking.total_price == listing.price_per_night * 3


# --- 10.2 make_stay_factory -----------------------------------------------------------------------
def _factory(name, *, fixed_dates=False, fixed_price=False, fixed_check_out=False,
             own_host=False, first_day=None):
    def make():
        import factory

        from accounts.models import Role, User
        from bookings.models import Booking
        from listings.models import City, Listing

        class Guest(factory.django.DjangoModelFactory):
            class Meta:
                model = User

            username = factory.Sequence(lambda n: f"wrong10-guest{n}")
            email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")

        class Host(Guest):
            username = factory.Sequence(lambda n: f"wrong10-host{n}")
            role = Role.HOST

        class Place(factory.django.DjangoModelFactory):
            class Meta:
                model = Listing

            host = factory.SubFactory(Host)
            title = factory.Sequence(lambda n: f"Wrong stay {n}")
            description = "A place."
            city = City.ADDIS_ABABA
            address = "House 1"
            price_per_night = 1500
            max_guests = 4
            bedrooms = 1

        first = first_day or date.today() + timedelta(days=400)

        class Stay(factory.django.DjangoModelFactory):
            class Meta:
                model = Booking

            listing = factory.SubFactory(Place)
            guest = factory.SelfAttribute("listing.host") if own_host else factory.SubFactory(Guest)
            check_in = first if fixed_dates else factory.Sequence(
                lambda n: first + timedelta(days=7 * n))
            check_out = first + timedelta(days=3) if (fixed_dates or fixed_check_out) else \
                factory.LazyAttribute(lambda b: b.check_in + timedelta(days=3))
            guests = 2
            total_price = 4500 if fixed_price else factory.LazyAttribute(
                lambda b: b.listing.price_per_night * (b.check_out - b.check_in).days)

        return Stay

    make.__name__ = name
    return make


stay_fixed_dates = _factory("stay_fixed_dates", fixed_dates=True)
stay_fixed_price = _factory("stay_fixed_price", fixed_price=True)
stay_fixed_check_out = _factory("stay_fixed_check_out", fixed_check_out=True)
stay_hosts_own_place = _factory("stay_hosts_own_place", own_host=True)
# Right in every other way, but the stays start in a fixed year: green today, red once it passed.
stay_fixed_year = _factory("stay_fixed_year", first_day=date(2031, 1, 1))


def stay_returns_an_instance():
    return stay_fixed_price().build()


WRONG_ANSWERS = {
    "10.1": [(test_only_that_it_saves, "charges one night too many"),
             (test_price_only, "more guests than the listing's max_guests"),
             (test_price_and_guests_only, "lets the database's IntegrityError escape"),
             (test_counts_the_check_out_night, "fails on the correct booking_create"),
             (test_in_the_past, "refused the booking your test made")],
    "10.2": [(stay_fixed_dates, "give each stay its own dates"),
             (stay_fixed_check_out, "check_out must follow check_in"),
             (stay_fixed_price, "total_price must follow the dates"),
             (stay_hosts_own_place, "not the listing's host"),
             (stay_returns_an_instance, "return the factory class itself"),
             (stay_fixed_year, "derive the first check-in from date.today()")],
}
