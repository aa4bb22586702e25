"""Lesson 10 — testing and CI/CD.

10.1 runs the learner's *test* — against the real ``booking_create`` (it must pass) and against
copies with one bug each (it must fail on every one): a test is only worth what it catches.
10.2 uses the learner's factory-boy factory to build stays. Both run over the notebook's real
PostgreSQL inside a transaction the check rolls back, so they can run again and again.

The mistakes each check argues against (each has a case, and a wrong answer in
tests/exercises/wrong_answers_10.py):

10.1 test_booking_create — a test that only checks the row was saved (misses a wrong price); the
     price only (misses max_guests); price and guests only (misses the overlap error); a test
     that counts the check-out night (fails on the correct service); dates in the past (the
     correct service refuses them). Each missed bug is a mutant of booking_create.
10.2 make_stay_factory — one fixed date for every stay; a fixed check-out; a fixed price; the
     listing's host as the guest; an instance instead of the factory class.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from nexus.exercises.checks.support import describe, in_rollback
from nexus.exercises.registry import Fail, exercise, lesson

LESSON = lesson("10", "Testing and CI/CD")


# --- 10.1 -----------------------------------------------------------------------------------------
def _charges_an_extra_night(**kwargs):
    """booking_create with an off-by-one price: nights + 1."""
    from bookings.services import booking_create

    booking = booking_create(**kwargs)
    booking.total_price += kwargs["listing"].price_per_night
    booking.save(update_fields=["total_price"])
    return booking


def _ignores_max_guests(*, listing, guests, **kwargs):
    """booking_create that forgot the listing's max_guests."""
    from bookings.models import Booking
    from bookings.services import booking_create

    booking = booking_create(listing=listing, guests=min(guests, listing.max_guests), **kwargs)
    if guests != booking.guests:
        Booking.objects.filter(pk=booking.pk).update(guests=guests)
        booking.guests = guests
    return booking


def _lets_integrity_error_escape(**kwargs):
    """booking_create that doesn't translate the exclusion constraint's refusal (a 500)."""
    from bookings.services import BookingOverlapError, booking_create

    try:
        return booking_create(**kwargs)
    except BookingOverlapError as exc:
        raise exc.__cause__ from None


#: (buggy booking_create, the hint when the learner's test lets it pass)
MUTANTS = [
    (_charges_an_extra_night,
     "a booking_create that charges one night too many passed your test: compare the booking's "
     "total_price with nights × the listing's price_per_night."),
    (_ignores_max_guests,
     "a booking_create that accepts more guests than the listing's max_guests passed your test: "
     "a test must also try what the service has to refuse (with pytest.raises)."),
    (_lets_integrity_error_escape,
     "a booking_create that lets the database's IntegrityError escape (the API would answer 500, "
     "not 409) passed your test: book the same nights twice and expect BookingOverlapError."),
]


def _run_test(test, implementation) -> BaseException | None:
    """Run the learner's test against ``implementation`` on a fresh listing; its failure or None."""
    from accounts.models import Role, User
    from listings.models import City, Listing

    def body():
        host = User.objects.create(username="check10-host", email="check10-host@checks.example",
                                   role=Role.HOST, password="!")
        guest = User.objects.create(username="check10-guest",
                                    email="check10-guest@checks.example", password="!")
        listing = Listing.objects.create(
            host=host, title="Check 10 stay", description="A place to stay.",
            city=City.ADDIS_ABABA, address="House 10, Bole", price_per_night=Decimal("1500.00"),
            max_guests=4, bedrooms=2, is_active=True)
        try:
            test(implementation, listing, guest)
        except NotImplementedError:
            raise
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # pytest.raises' "DID NOT RAISE" is a BaseException
            return exc
        return None

    return in_rollback(body)


@exercise("10.1", "A test that catches bugs in booking_create")
def check_test_catches_bugs(test) -> None:
    from django.core.exceptions import ValidationError

    from bookings.services import booking_create

    look = ('lesson 10, "3. Fixtures and factories" and '
            'sample_project/tests/services/test_booking_services.py')
    failure = _run_test(test, booking_create)
    if failure is not None:
        if isinstance(failure, ValidationError):
            hint = "the correct booking_create refused the booking your test made: book future " \
                   "dates (check-out after check-in) for at most max_guests guests."
        elif isinstance(failure, AssertionError) or type(failure).__name__ == "Failed":
            hint = "your test fails on the correct booking_create: one of its expectations is " \
                   "not what the service promises — re-read the rules in the task."
        else:
            hint = "your test fails on the correct booking_create with an exception of its own: " \
                   "read it, and call create(...) with keyword arguments like the service."
        raise Fail(expected="your test passes on the real booking_create",
                   got=f"it failed: {describe(failure)}", hint=hint, look=look)
    for mutant, hint in MUTANTS:
        if _run_test(test, mutant) is None:
            raise Fail(expected=f"your test fails on {mutant.__doc__.strip()}",
                       got="it passed", hint=hint, look=look)


# --- 10.2 -----------------------------------------------------------------------------------------
def _stays(factory_class) -> dict[str, object]:
    """What the learner's factory builds, as facts the check compares."""
    from django.db import IntegrityError, transaction

    from bookings.models import BookingStatus

    facts: dict[str, object] = {}
    try:
        with transaction.atomic():
            batch = factory_class.create_batch(3)
    except IntegrityError as exc:
        raise Fail(expected="create_batch(3) saves three stays",
                   got=f"IntegrityError: {str(exc).splitlines()[0]}",
                   hint="the database refused one of the stays: check_out must follow check_in "
                        "(factory.LazyAttribute) and each stay needs its own dates "
                        "(factory.Sequence).") from None
    facts["saved"] = all(stay.pk for stay in batch)
    facts["pending"] = all(stay.status == BookingStatus.PENDING for stay in batch)
    facts["priced"] = all(
        stay.total_price == stay.listing.price_per_night * (stay.check_out - stay.check_in).days
        for stay in batch)
    facts["future"] = all(stay.check_in > date.today() for stay in batch)
    facts["not_own"] = all(stay.guest_id != stay.listing.host_id for stay in batch)
    try:
        with transaction.atomic():
            again = [factory_class(listing=batch[0].listing) for _ in range(2)]
        facts["same_listing"] = len({(s.check_in, s.check_out) for s in [batch[0], *again]}) == 3
    except IntegrityError:
        facts["same_listing"] = False
    check_in = date.today() + timedelta(days=900)
    try:
        with transaction.atomic():
            longer = factory_class(check_in=check_in, check_out=check_in + timedelta(days=5))
        facts["price_follows"] = longer.total_price == longer.listing.price_per_night * 5
    except IntegrityError:
        facts["price_follows"] = False
    try:
        with transaction.atomic():
            moved = factory_class(check_in=check_in + timedelta(days=40))
        facts["check_out_follows"] = moved.check_out > moved.check_in
    except IntegrityError:
        facts["check_out_follows"] = False
    return facts


#: How far the calendar moves for the "still in the future later" case of 10.2.
_LATER = timedelta(days=365 * 12)


def _as_of(function, today: date):
    """``function`` run as if today were ``today``: its module-level ``date``, ``datetime``
    (class or module) and Django's ``timezone`` answer with that day.

    A factory that computes its dates from a fixed year passes today and fails the day that
    year is over; calling it "later" shows that now, without touching the system clock.
    """
    import datetime as real
    import types

    from django.utils import timezone as real_timezone

    shift = today - date.today()

    class LaterDate(real.date):
        @classmethod
        def today(cls):
            return today

    class LaterDateTime(real.datetime):
        @classmethod
        def now(cls, tz=None):
            return real.datetime.now(tz) + shift

        @classmethod
        def today(cls):
            return real.datetime.today() + shift

    module = types.SimpleNamespace(**{**vars(real), "date": LaterDate,
                                      "datetime": LaterDateTime})
    timezone = types.SimpleNamespace(**{**vars(real_timezone),
                                        "now": lambda: real_timezone.now() + shift,
                                        "localdate": lambda *a, **k: today})
    names = function.__globals__
    patched = dict(names)
    for name, value in names.items():
        if value is real.date:
            patched[name] = LaterDate
        elif value is real.datetime:
            patched[name] = LaterDateTime
        elif value is real:
            patched[name] = module
        elif value is real_timezone:
            patched[name] = timezone
    return types.FunctionType(function.__code__, patched, function.__name__,
                              function.__defaults__, function.__closure__)


def _starts_after(factory_class, today: date) -> bool:
    """True if two stays of ``factory_class`` both start after ``today``."""
    from django.db import IntegrityError, transaction

    try:
        with transaction.atomic():
            stays = factory_class.create_batch(2)
    except IntegrityError:
        return False
    return all(stay.check_in > today for stay in stays)


@exercise("10.2", "make_stay_factory: a factory-boy factory")
def check_stay_factory(make_stay_factory) -> None:
    import factory

    from bookings.models import Booking

    look = 'lesson 10, "3. Fixtures and factories" and sample_project/testsupport/factories.py'
    made = make_stay_factory()
    if not (isinstance(made, type) and issubclass(made, factory.django.DjangoModelFactory)
            and made._meta.model is Booking):
        raise Fail(expected="a DjangoModelFactory class with Meta.model = Booking",
                   got=repr(made), hint="return the factory class itself (not an instance, not "
                   "a booking), with class Meta: model = Booking.", look=look)
    facts = in_rollback(lambda: _stays(made))
    problems = [
        ("saved", "create_batch(3) saved every stay", "use factory.django.DjangoModelFactory, "
         "whose create() saves the row."),
        ("same_listing", "three stays at one listing, none overlapping", "every stay got the same "
         "nights, so two at one listing collide with the overlap constraint: give each stay its "
         "own dates with factory.Sequence."),
        ("check_out_follows", "a stay made with only check_in=... still ends after it",
         "check_out must follow check_in (factory.LazyAttribute), or a test that sets check_in "
         "gets an impossible stay."),
        ("price_follows", "a 5-night stay costs 5 × the nightly price", "total_price must follow "
         "the dates and the listing (factory.LazyAttribute), not be a fixed amount."),
        ("priced", "total_price = nights × price_per_night", "compute total_price from the stay's "
         "own dates and listing."),
        ("pending", "status pending", "a new stay is pending, as booking_create makes it: set "
         "status = BookingStatus.PENDING."),
        ("future", "check-in in the future", "stays must start after today: the service refuses "
         "past check-ins, and tests should build what the service would."),
        ("not_own", "the guest is not the listing's host", "give the stay a guest of its own "
         "(a SubFactory), not the listing's host."),
    ]
    for key, expected, hint in problems:
        if not facts[key]:
            raise Fail(expected=expected, got="not so", hint=hint, look=look)
    later = date.today() + _LATER
    if not in_rollback(lambda: _starts_after(_as_of(make_stay_factory, later)(), later)):
        raise Fail(expected=f"stays still start in the future when the tests run in "
                            f"{later.year}",
                   got=f"run as if today were {later.isoformat()}, the stays start before it",
                   hint="a fixed date is only in the future until it passes: derive the first "
                        "check-in from date.today(), so the suite keeps passing next year.",
                   look=look)
