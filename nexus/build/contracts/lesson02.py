"""Lesson 02's build steps: the custom user, the models and the rules the database enforces,
migrations (one of them a data migration) and the admin, a deterministic ``manage.py seed``.

The names are the sample project's: ``AUTH_USER_MODEL = "accounts.User"`` with ``role``
(guest / host / admin); ``listings.Listing`` (host, title, city, address, price_per_night,
max_guests), ``bookings.Booking`` (listing, guest, check_in, check_out, guests, total_price,
status: pending / confirmed / cancelled / completed), ``bookings.Review`` (booking, listing,
author, rating: a review rates a stay, so it lives with bookings — listings imports nothing from
bookings); ``manage.py seed --listings N --seed S``.

The rules are proved the way lesson 02 proves them: each is broken by a write that skips every
Python-side check (``bulk_create`` calls neither ``save()`` nor ``full_clean()``), and PostgreSQL
must refuse it. Each attempt runs in a savepoint and every contract's rows are rolled back, so
the steps leave the database as ``migrate`` made it.
"""

from __future__ import annotations

import ast
import itertools
import re
import secrets
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from nexus.build.contract import Context, Fail, contract, learner_location, phase_hint

LOOK_SCHEMA = "lesson 02, §1 'The schema as a picture'"
LOOK_USER = ("Django's docs, 'Using a custom user model when starting a project'; "
             "sample_project/accounts/models.py")
LOOK_MIGRATIONS = "lesson 02, §2 'Migrations'"
LOOK_DATA = "lesson 02, §2 'A data migration'"
LOOK_CONSTRAINTS = "lesson 02, §3 'Constraints, proved by breaking them'"
LOOK_ADMIN = "sample_project/accounts/admin.py and listings/admin.py"
LOOK_SEED = "sample_project/demo/seed.py (its docstring) and demo/management/commands/seed.py"
ROLES = {"guest", "host", "admin"}
#: Far from today and from the seed's years, fixed: no rule of the database depends on the date.
FIRST_NIGHT = date(2031, 3, 2)


# --- what Django says, and what the learner should read instead ----------------------------------
phase_hint(
    "check", r"fields\.E304\).*auth\.User\.",
    hint="Django's own user (auth.User) and yours (accounts.User) are both installed: tell "
         "Django which one the project uses with AUTH_USER_MODEL = \"accounts.User\" in "
         "config/settings/base.py (not a related_name, whatever Django's hint says).",
    look=LOOK_USER)
phase_hint(
    "migrate", r'no default operator class for access method "gist"',
    hint="`listing WITH =` in a GiST exclusion constraint needs PostgreSQL's btree_gist "
         "extension: put BtreeGistExtension() (django.contrib.postgres.operations) in the "
         "migration's operations before the constraint, then migrate again.",
    look="lesson 02, §2 'Reading one: the SQL behind the Python'")


# --- helpers -------------------------------------------------------------------------------------
def _model(label: str, *, step_hint: str, look: str = LOOK_SCHEMA):
    """The learner's model ``app.Model``, or a Fail that says which app or model is missing."""
    from django.apps import apps

    app, name = label.split(".")
    try:
        config = apps.get_app_config(app)
    except LookupError:
        raise Fail(expected=f"an app `{app}` in INSTALLED_APPS (with a model {name})",
                   got=f"no app labelled {app!r} is installed",
                   hint=f"`python manage.py startapp {app}` in my_project/, then add "
                        f"\"{app}\" to INSTALLED_APPS in config/settings/base.py.",
                   look=look) from None
    try:
        return config.get_model(name)
    except LookupError:
        found = ", ".join(m.__name__ for m in config.get_models()) or "none"
        raise Fail(expected=f"a model {name} in {app}/models.py",
                   got=f"the models of {app}: {found}", hint=step_hint, look=look) from None


def _field(model, name: str, *, hint: str, look: str = LOOK_SCHEMA):
    from django.core.exceptions import FieldDoesNotExist

    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        fields = ", ".join(f.name for f in model._meta.get_fields() if f.concrete)
        raise Fail(expected=f"a field {model.__name__}.{name}",
                   got=f"{model.__name__} has: {fields}", hint=hint, look=look) from None


def _constraint_of(error: Exception) -> str:
    """The name of the constraint PostgreSQL reports (psycopg's diag), else the message."""
    name = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    return name or str(error).strip().splitlines()[0][:160]


def _attempt(write: Callable[[], Any]) -> str | None:
    """Run ``write`` in a savepoint: ``None`` if PostgreSQL stored it, else what refused it
    (a constraint, or a DataError such as daterange() given its ends the wrong way round)."""
    from django.db import DatabaseError, DataError, IntegrityError, transaction

    try:
        with transaction.atomic():
            write()
    except (IntegrityError, DataError) as error:
        return _constraint_of(error)
    except (DatabaseError, TypeError, ValueError) as error:
        raise Fail(expected="rows with the sample project's field names can be written",
                   got=f"{type(error).__name__}: {str(error).strip()[:200]}",
                   hint=MODELS_HINT, look=LOOK_SCHEMA) from None
    return None


def _insert(model, **values) -> Callable[[], Any]:
    """A write that skips save() and full_clean(): only the database can refuse it."""
    return lambda: model._default_manager.bulk_create([model(**values)])


@contextmanager
def _rolled_back() -> Iterator[None]:
    """Everything inside is undone at the end (a contract leaves no rows behind)."""
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _describe(exc: BaseException, project: Path) -> str:
    frames = [(f.filename, f.lineno or 0) for f in traceback.extract_tb(exc.__traceback__)]
    text = f"{type(exc).__name__}: {exc}".strip()
    text = text if len(text) < 300 else text[:297] + "..."
    where = learner_location(frames, project)
    return f"{text} ({where})" if where else text


_counter = itertools.count(1)


def _unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}{secrets.token_hex(3)}"


def _new_user(role: str | None = "guest", **extra):
    """A user of the learner's model with ``role`` (none given: the field's default), stored
    with create(): no password hashing."""
    from django.contrib.auth import get_user_model
    from django.db import models

    user_model = get_user_model()
    name = _unique(f"b02{role or 'user'}")
    values: dict[str, Any] = {**({"role": role} if role else {}), **extra}
    username_field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    values[user_model.USERNAME_FIELD] = (f"{name}@example.com"
                                         if isinstance(username_field, models.EmailField)
                                         else name)
    if user_model.USERNAME_FIELD != "email" and any(
            f.name == "email" for f in user_model._meta.get_fields()):
        values["email"] = f"{name}@example.com"
    return _stored(user_model, values, what="a user")


def _stored(model, values: dict[str, Any], *, what: str):
    """``model.objects.create(**values)``, or a Fail that says why a valid row was not stored."""
    from django.core.exceptions import FieldDoesNotExist, ValidationError
    from django.db import DatabaseError, DataError, IntegrityError, transaction

    shown = ", ".join(f"{k}={v!r}" if not hasattr(v, "pk") else f"{k}=<{type(v).__name__}>"
                      for k, v in values.items())
    try:
        with transaction.atomic():
            return model._default_manager.create(**values)
    except (IntegrityError, DataError) as error:
        got = f"PostgreSQL refused it: {_constraint_of(error)}"
    except (DatabaseError, TypeError, ValueError, FieldDoesNotExist, ValidationError) as error:
        got = f"{type(error).__name__}: {str(error)[:200]}"
    raise Fail(expected=f"{what} is stored: {model.__name__}({shown})", got=got,
               hint="the checks write rows with the sample project's field names (see the "
                    "brief); a field of your own that the database requires needs a default "
                    "(or null=True), and a rule must refuse only what breaks it.",
               look=LOOK_SCHEMA)


# --- 02.b1 the custom user, from the first migration ---------------------------------------------
@contract("02.b1")
def the_user_model_is_accounts_user(ctx: Context) -> None:
    """AUTH_USER_MODEL is accounts.User, a subclass of AbstractUser."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AbstractUser

    user_model = get_user_model()
    if user_model._meta.label_lower != "accounts.user":
        raise Fail(expected="AUTH_USER_MODEL = \"accounts.User\"",
                   got=f"AUTH_USER_MODEL = {settings.AUTH_USER_MODEL!r}",
                   hint="write class User(AbstractUser) in accounts/models.py and set "
                        "AUTH_USER_MODEL = \"accounts.User\" in config/settings/base.py, "
                        "before the first migrate: afterwards every foreign key to the user "
                        "would have to be rewritten.",
                   look=LOOK_USER)
    if not issubclass(user_model, AbstractUser):
        raise Fail(expected="accounts.User is a subclass of django.contrib.auth.models."
                            "AbstractUser",
                   got=f"its bases: {', '.join(b.__name__ for b in user_model.__mro__[1:4])}",
                   hint="class User(AbstractUser) keeps Django's username, password, groups "
                        "and permissions (and its admin); add only the role field.",
                   look=LOOK_USER)


@contract("02.b1")
def the_user_table_comes_from_the_first_accounts_migration(ctx: Context) -> None:
    """accounts' first migration creates the User table."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import CreateModel

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    creating = sorted(key for key, migration in loader.disk_migrations.items()
                      if key[0] == "accounts" and any(
                          isinstance(op, CreateModel) and op.name_lower == "user"
                          for op in migration.operations))
    first = sorted(key for key in loader.graph.root_nodes("accounts"))
    if not creating:
        raise Fail(expected="a migration in accounts/migrations/ that creates User",
                   got="none of accounts' migrations creates it",
                   hint="run `python manage.py makemigrations accounts` and commit the "
                        "migration it writes.", look=LOOK_MIGRATIONS)
    if creating[0] not in first:
        raise Fail(expected="the User table is created by accounts' first migration "
                            f"({', '.join(name for _, name in first)})",
                   got=f"it is created by {creating[0][1]}",
                   hint="Django requires the model AUTH_USER_MODEL names to be created in "
                        "the first migration of its app: other apps' migrations depend on "
                        "accounts' first one to find it. While no other database has run "
                        "them, delete accounts' migrations, empty your own database (`eval "
                        "\"$(nexus project env --reset)\"`) and run makemigrations again.",
                   look=LOOK_USER)
    table = get_user_model()._meta.db_table
    if table not in connection.introspection.table_names():
        raise Fail(expected=f"the table {table} after migrate",
                   got="it does not exist", hint="run `python manage.py makemigrations`.",
                   look=LOOK_MIGRATIONS)


@contract("02.b1")
def users_have_a_role_guest_host_or_admin(ctx: Context) -> None:
    """User.role: choices guest, host and admin; a new user is a guest."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    field = _field(user_model, "role",
                   hint="add role = models.CharField(max_length=16, choices=Role.choices, "
                        "default=Role.GUEST) with class Role(models.TextChoices) in "
                        "accounts/models.py.", look=LOOK_USER)
    values = {str(value) for value, _ in (field.flatchoices or [])}
    if values != ROLES:
        raise Fail(expected="User.role has the choices guest, host and admin (stored values)",
                   got=f"its choices: {sorted(values) if values else 'none'}",
                   hint="class Role(models.TextChoices) with GUEST = \"guest\", \"Guest\", HOST "
                        "and ADMIN alike, and role = models.CharField(..., "
                        "choices=Role.choices): the values are what the database stores.",
                   look=LOOK_USER)
    with _rolled_back():
        refused = None
        try:
            user = _new_user(role=None)
            user.refresh_from_db()
            role = user.role
        except Fail as failure:
            refused, role = failure.got, None
    if role != "guest":
        raise Fail(expected="a new user's role is 'guest'",
                   got=refused or f"it is {role!r}",
                   hint="default=Role.GUEST on the role field: whoever signs up books first; "
                        "becoming a host or an admin is a decision someone makes.",
                   look=LOOK_USER)


@contract("02.b1")
def the_database_refuses_an_unknown_role(ctx: Context) -> None:
    """PostgreSQL stores the three roles and refuses any other."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    with _rolled_back():
        for role in sorted(ROLES):
            refused = _attempt(lambda role=role: _new_user(role=role))
            if refused:
                raise Fail(expected=f"a user with role {role!r} is stored",
                           got=f"refused: {refused}",
                           hint="the role constraint must allow guest, host and admin.",
                           look=LOOK_CONSTRAINTS)
        name = _unique("b02super")
        values = {user_model.USERNAME_FIELD: f"{name}@example.com", "role": "superhost"}
        if user_model.USERNAME_FIELD != "email":
            values["email"] = f"{name}@example.com"
        refused = _attempt(_insert(user_model, **values))
    if refused is None:
        raise Fail(expected="PostgreSQL refuses a user with role 'superhost'",
                   got="it was stored (bulk_create: no full_clean())",
                   hint="choices= is only checked by full_clean() (forms, the admin), never "
                        "by save(), bulk_create() or SQL: add a CheckConstraint(condition="
                        "Q(role__in=Role.values), name=...) to User.Meta.constraints, then "
                        "makemigrations.",
                   look=LOOK_CONSTRAINTS)


# --- 02.b2 listings and bookings, and the rules the database enforces ----------------------------
MODELS_HINT = ("the sample's names: listings/models.py has Listing(host, title, city, address, "
               "price_per_night, max_guests, ...); bookings/models.py has Booking(listing, "
               "guest, check_in, check_out, guests, total_price, status, ...) and "
               "Review(booking, listing, author, rating, ...) — a review rates a stay.")


@dataclass
class _World:
    """One host's listing and two guests, to break rules against."""

    Listing: Any
    Review: Any
    Booking: Any
    host: Any
    guest: Any
    other_guest: Any
    listing: Any
    #: Numbers the 40-day windows handed out by stay(), so stays never touch by accident.
    windows: Iterator[int]

    def stay(self, nights: int = 3, *, gap: int = 2) -> tuple[date, date]:
        """Dates of a stay no other stay of this world touches."""
        start = FIRST_NIGHT + timedelta(days=next(self.windows) * 40 + gap)
        return start, start + timedelta(days=nights)

    def booking_values(self, check_in: date, check_out: date, status: str = "confirmed",
                       **extra) -> dict[str, Any]:
        nights = max((check_out - check_in).days, 1)
        return {"listing": self.listing, "guest": self.guest, "check_in": check_in,
                "check_out": check_out, "guests": 1,
                "total_price": self.listing.price_per_night * nights, "status": status,
                **extra}

    def booking(self, status: str = "confirmed", **extra):
        check_in, check_out = self.stay()
        return _stored(self.Booking, self.booking_values(check_in, check_out, status, **extra),
                       what=f"a {status} booking")

    def review_values(self, booking, rating: int, **extra) -> dict[str, Any]:
        return {"booking": booking, "listing": booking.listing, "author": booking.guest,
                "rating": rating, **extra}


def _city(listing_model) -> str:
    field = _field(listing_model, "city", hint=MODELS_HINT)
    choices = [str(value) for value, _ in (field.flatchoices or [])]
    return "gondar" if not choices or "gondar" in choices else choices[0]


def _world() -> _World:
    listing_model = _model("listings.Listing", step_hint=MODELS_HINT)
    review_model = _model("bookings.Review", step_hint=MODELS_HINT)
    booking_model = _model("bookings.Booking", step_hint=MODELS_HINT)
    for model, names in ((listing_model, ("host", "title", "city", "address",
                                          "price_per_night", "max_guests")),
                         (review_model, ("booking", "listing", "author", "rating")),
                         (booking_model, ("listing", "guest", "check_in", "check_out", "guests",
                                          "total_price", "status"))):
        for name in names:
            _field(model, name, hint=MODELS_HINT)
    host = _new_user(role="host")
    listing = _stored(listing_model, {
        "host": host, "title": "B02 check: a quiet room", "city": _city(listing_model),
        "address": "House 12, Piassa", "price_per_night": Decimal("1500.00"),
        "max_guests": 4}, what="a valid listing")
    return _World(listing_model, review_model, booking_model, host, _new_user(), _new_user(),
                  listing, itertools.count())


def _must_refuse(write: Callable[[], Any], *, expected: str, got: str, hint: str,
                 look: str = LOOK_CONSTRAINTS) -> None:
    if _attempt(write) is None:
        raise Fail(expected=expected, got=got, hint=hint, look=look)


def _must_store(write: Callable[[], Any], *, expected: str, hint: str,
                look: str = LOOK_CONSTRAINTS) -> None:
    refused = _attempt(write)
    if refused is not None:
        raise Fail(expected=expected, got=f"PostgreSQL refused it: {refused}", hint=hint,
                   look=look)


@contract("02.b2")
def valid_listings_bookings_and_reviews_are_stored(ctx: Context) -> None:
    """A valid listing, booking and review are stored."""
    with _rolled_back():
        world = _world()
        world.booking("confirmed")
        stayed = world.booking("completed")
        _stored(world.Review, world.review_values(stayed, 4), what="a valid review")


NO_CHECK_OUT_RULE = ("a rule in the database: CheckConstraint(condition=Q(check_out__gt="
                     "F(\"check_in\")), name=...) in Booking.Meta.constraints, then "
                     "makemigrations. A clean() method only runs in forms and full_clean().")


def _has_check_on(model, name: str) -> bool:
    """Whether one of the model's check constraints mentions field ``name``."""
    from django.db.models import CheckConstraint

    return any(isinstance(c, CheckConstraint) and name in str(getattr(c, "condition", ""))
               for c in model._meta.constraints)


@contract("02.b2")
def check_out_comes_after_check_in(ctx: Context) -> None:
    """PostgreSQL refuses a booking whose check-out is not after its check-in."""
    with _rolled_back():
        world = _world()
        check_in, _ = world.stay()
        before = check_in - timedelta(days=2)
        _must_refuse(
            _insert(world.Booking, **world.booking_values(check_in, before,
                                                          total_price=Decimal("3000"))),
            expected="PostgreSQL refuses a booking whose check-out is before its check-in",
            got=f"a booking from {check_in} to {before} was stored (bulk_create: no "
                "full_clean())",
            hint=NO_CHECK_OUT_RULE)
        _must_refuse(
            _insert(world.Booking, **world.booking_values(check_in, check_in)),
            expected="PostgreSQL refuses a booking whose check-out is its check-in day",
            got=f"a booking from {check_in} to {check_in} (zero nights) was stored",
            hint="check-out must be strictly after check-in: a stay of zero nights is no "
                 "stay (check_out__gt, not __gte)." if _has_check_on(world.Booking, "check_out")
            else NO_CHECK_OUT_RULE)


@contract("02.b2")
def ratings_are_1_to_5(ctx: Context) -> None:
    """PostgreSQL refuses a review rated 0 or 6, and stores 1 and 5."""
    with _rolled_back():
        world = _world()
        for rating in (0, 6):
            stayed = world.booking("completed")
            _must_refuse(
                _insert(world.Review, **world.review_values(stayed, rating)),
                expected=f"PostgreSQL refuses a review with rating {rating}",
                got=f"a review rated {rating} was stored (bulk_create: no full_clean())",
                hint="a CheckConstraint with both ends, condition=Q(rating__gte=1, "
                     "rating__lte=5), in Review.Meta.constraints (validators= and "
                     "PositiveSmallIntegerField alone only keep out negative numbers in the "
                     "database).")
        for rating in (1, 5):
            stayed = world.booking("completed")
            _must_store(
                _insert(world.Review, **world.review_values(stayed, rating)),
                expected=f"a review with rating {rating} is stored (1 to 5 includes both "
                         "ends)",
                hint="the rating rule refuses a valid rating: both 1 and 5 are allowed "
                     "(gte / lte, not gt / lt).")


@contract("02.b2")
def prices_are_positive(ctx: Context) -> None:
    """PostgreSQL refuses a listing priced 0 or less a night, and a booking of 0 birr."""
    with _rolled_back():
        world = _world()
        for price in (Decimal("0"), Decimal("-100")):
            _must_refuse(
                _insert(world.Listing, host=world.host, title="B02 check: free room",
                        city=world.listing.city, address="House 1, Piassa",
                        price_per_night=price, max_guests=2),
                expected=f"PostgreSQL refuses a listing priced {price} a night",
                got=f"a listing with price_per_night={price} was stored",
                hint="CheckConstraint(condition=Q(price_per_night__gt=Decimal(\"0\")), "
                     "name=...) in Listing.Meta.constraints: a DecimalField has no sign rule "
                     "of its own.")
        check_in, check_out = world.stay()
        _must_refuse(
            _insert(world.Booking, **world.booking_values(check_in, check_out,
                                                          total_price=Decimal("0"))),
            expected="PostgreSQL refuses a booking whose total_price is 0",
            got="a booking with total_price=0 was stored",
            hint="the booking's total_price is money too: CheckConstraint(condition="
                 "Q(total_price__gt=Decimal(\"0\")), ...) in Booking.Meta.constraints.")


@contract("02.b2")
def one_review_per_booking(ctx: Context) -> None:
    """PostgreSQL refuses a second review of the same booking, by anyone."""
    with _rolled_back():
        world = _world()
        stayed = world.booking("completed")
        _stored(world.Review, world.review_values(stayed, 5), what="a review")
        _must_refuse(
            _insert(world.Review, **world.review_values(stayed, 1)),
            expected="PostgreSQL refuses a second review of the same booking",
            got="two reviews of one booking were stored",
            hint="one review per booking: Review.booking = models.OneToOneField(\"bookings."
                 "Booking\", ...) — its unique index is the rule.")
        _must_refuse(
            _insert(world.Review, **world.review_values(stayed, 1, author=world.other_guest)),
            expected="PostgreSQL refuses a second review of the same booking, whoever writes "
                     "it",
            got="a second review of the booking by another user was stored",
            hint="the rule is one review per booking, not per (booking, author): make "
                 "Review.booking a OneToOneField (unique on booking alone).")
        again = world.booking("completed")
        _must_store(
            _insert(world.Review, **world.review_values(again, 4)),
            expected="a guest who stayed twice at a listing may review each stay",
            hint="unique on the booking only: a unique (author, listing) or author rule "
                 "refuses a guest's second stay.")


@contract("02.b2")
def no_overlapping_active_bookings(ctx: Context) -> None:
    """PostgreSQL refuses overlapping pending/confirmed bookings of a listing; cancelled ones
    may overlap, back-to-back stays are fine."""
    with _rolled_back():
        world = _world()
        check_in, check_out = world.stay(nights=4)
        _stored(world.Booking, world.booking_values(check_in, check_out, "confirmed"),
                what="a confirmed booking")
        later = check_in + timedelta(days=2)
        _must_refuse(
            _insert(world.Booking, **world.booking_values(
                later, later + timedelta(days=4), "pending", guest=world.other_guest)),
            expected="PostgreSQL refuses a pending booking whose nights overlap a confirmed "
                     "one at the same listing",
            got=f"{check_in}→{check_out} confirmed and {later}→{later + timedelta(days=4)} "
                "pending were both stored",
            hint="no double booking, in the database: an ExclusionConstraint (django.contrib."
                 "postgres) with expressions [(\"listing\", RangeOperators.EQUAL), "
                 "(Func(F(\"check_in\"), F(\"check_out\"), function=\"daterange\", "
                 "output_field=DateRangeField()), RangeOperators.OVERLAPS)] in Booking.Meta."
                 "constraints; a check-then-insert in Python races.")
        _must_store(
            _insert(world.Booking, **world.booking_values(
                check_out, check_out + timedelta(days=2), "confirmed",
                guest=world.other_guest)),
            expected=f"a stay arriving {check_out}, the day the previous guest leaves, is "
                     "stored",
            hint="check-out is not a night: daterange(check_in, check_out) is half-open "
                 "'[)' by default, so back-to-back stays do not overlap (no '[]').")
        _must_store(
            _insert(world.Booking, **world.booking_values(check_in, check_out, "cancelled",
                                                          guest=world.other_guest)),
            expected="a cancelled booking on nights another booking holds is stored",
            hint="a cancelled booking holds no nights: the exclusion constraint needs "
                 "condition=Q(status__in=[\"pending\", \"confirmed\"]).")
        other_in, other_out = world.stay(nights=4)
        _stored(world.Booking, world.booking_values(other_in, other_out, "cancelled"),
                what="a cancelled booking")
        _must_store(
            _insert(world.Booking, **world.booking_values(other_in, other_out, "pending",
                                                          guest=world.other_guest)),
            expected="a pending booking on the nights of a cancelled one is stored",
            hint="a cancelled booking frees its nights: the exclusion constraint needs "
                 "condition=Q(status__in=[\"pending\", \"confirmed\"]).")
        elsewhere = _stored(world.Listing, {
            "host": world.host, "title": "B02 check: next door", "city": world.listing.city,
            "address": "House 14, Piassa", "price_per_night": Decimal("1200.00"),
            "max_guests": 2}, what="a second listing")
        _must_store(
            _insert(world.Booking, **world.booking_values(check_in, check_out, "confirmed",
                                                          listing=elsewhere)),
            expected="the same nights at another listing are stored",
            hint="the overlap rule is per listing: (\"listing\", RangeOperators.EQUAL) "
                 "belongs in the exclusion constraint's expressions.")


# --- 02.b3 migrations (one a data migration) and the admin ---------------------------------------
def _project_apps(ctx: Context) -> dict[str, Any]:
    """The learner's own apps (their code is in the project folder), by label."""
    from django.apps import apps

    root = ctx.project.resolve()
    return {config.label: config for config in apps.get_app_configs()
            if Path(config.path).resolve().is_relative_to(root)}


def _data_migrations(ctx: Context) -> list[tuple[tuple[str, str], Any, Any]]:
    """(key, migration, RunPython operation) of every RunPython in the project's own apps."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    labels = _project_apps(ctx)
    return [(key, migration, op) for key, migration in sorted(loader.disk_migrations.items())
            if key[0] in labels for op in migration.operations if isinstance(op, RunPython)]


@contract("02.b3")
def a_data_migration_that_can_be_undone(ctx: Context) -> None:
    """One of the project's migrations is a data migration, RunPython(forwards, backwards)."""
    found = _data_migrations(ctx)
    if not found:
        raise Fail(expected="a data migration in one of your apps: migrations.RunPython("
                            "forwards, backwards)",
                   got="no migration of your apps runs Python (only schema operations)",
                   hint="`python manage.py makemigrations listings --empty --name "
                        "fill_listing_slugs` writes an empty migration; give it a RunPython "
                        "that fills a column an earlier migration added (the sample fills "
                        "Listing.slug).", look=LOOK_DATA)
    if all(op.reverse_code is None for _, _, op in found):
        names = ", ".join(f"{app}.{name}" for (app, name), _, _ in found)
        raise Fail(expected="a data migration that can be undone: RunPython(forwards, "
                            "backwards)",
                   got=f"{names}: RunPython without a reverse function",
                   hint="give RunPython a reverse function as its second argument (or "
                        "RunPython.noop when undoing needs no data change): without one, "
                        "`migrate` refuses to go back past it (IrreversibleError).",
                   look=LOOK_DATA)


def _imports_of_project_code(path: Path, labels: set[str]) -> list[str]:
    """``from listings.models import Listing``-like lines of a migration file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        names = ([node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                 else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
        for name in names:
            parts = name.split(".")
            if parts[0] in labels and "migrations" not in parts:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


@contract("02.b3")
def the_data_migration_uses_the_historical_models(ctx: Context) -> None:
    """The data migration reads models with apps.get_model(), never from today's code."""
    import sys

    labels = set(_project_apps(ctx))
    for (app, name), migration, _ in _data_migrations(ctx):
        source = Path(sys.modules[type(migration).__module__].__file__ or "")
        if not source.is_file():
            continue
        found = _imports_of_project_code(source, labels)
        if found:
            raise Fail(expected=f"{app}.{name} uses only the historical models it is given",
                       got=f"{source.relative_to(ctx.project)} imports your apps' code: "
                           + "; ".join(found[:2]),
                       hint="inside RunPython use Listing = apps.get_model(\"listings\", "
                            "\"Listing\"): the model as it was at that point of the history. "
                            "Today's model may have columns that database does not have yet, "
                            "and a rule the migration needs belongs in the migration itself.",
                       look=LOOK_DATA)


@contract("02.b3")
def the_data_migration_runs_backwards_and_forwards(ctx: Context) -> None:
    """`migrate <app> <the migration before it>` then `migrate` succeed, with rows present."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    undoable = [(key, migration) for key, migration, op in _data_migrations(ctx)
                if op.reverse_code is not None]
    (app, name), migration = undoable[-1]
    before = sorted(n for a, n in migration.dependencies if a == app)
    target = before[-1] if before else "zero"
    out = io.StringIO()
    with _rolled_back():
        world = _world()  # rows for the data migration's functions to work on, both ways
        stayed = world.booking("completed")
        _stored(world.Review, world.review_values(stayed, 5), what="a review")
        _stored(world.Listing, {
            "host": world.host, "title": "B02 check: another room", "city": world.listing.city,
            "address": "House 13, Piassa", "price_per_night": Decimal("900.00"),
            "max_guests": 1}, what="a second listing")
        with connection.cursor() as cursor:
            # Foreign keys are checked at commit (DEFERRABLE INITIALLY DEFERRED): check these
            # rows' now, since PostgreSQL refuses to ALTER a table with checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for step, args in ((f"`migrate {app} {target}` (back, past {name})", (app, target)),
                           ("`migrate` (forwards again)", ())):
            try:
                with redirect_stdout(out), redirect_stderr(out):
                    call_command("migrate", *args, interactive=False, verbosity=0)
            except Exception as exc:
                raise Fail(expected=f"{step} succeeds on a database with rows",
                           got=_describe(exc, ctx.project),
                           hint="each function of the data migration runs on real rows: the "
                                "reverse must leave data the earlier schema accepts (a "
                                "unique column cannot be set to one value in every row), "
                                "the forward must work again after it.",
                           look=LOOK_DATA) from None
        executor = MigrationExecutor(connection)
        left = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if left:
        raise Fail(expected="`migrate` applies every migration again",
                   got=f"still unapplied: {', '.join(f'{m.app_label}.{m.name}' for m, _ in left)}",
                   hint="run `python manage.py migrate --plan` to see why.", look=LOOK_DATA)


ADMIN_MODELS = ("accounts.User", "listings.Listing", "bookings.Booking", "bookings.Review")


@contract("02.b3")
def the_models_are_in_the_admin(ctx: Context) -> None:
    """User, Listing, Booking and Review are registered in the admin; the user with UserAdmin."""
    from django.apps import apps
    from django.contrib.auth.admin import UserAdmin

    if not apps.is_installed("django.contrib.admin"):
        raise Fail(expected="django.contrib.admin in INSTALLED_APPS",
                   got="it is not installed",
                   hint="keep startproject's django.contrib.admin in INSTALLED_APPS and "
                        "path(\"admin/\", admin.site.urls) in config/urls.py.",
                   look=LOOK_ADMIN)
    from django.contrib import admin

    missing = [label for label in ADMIN_MODELS
               if _model(label, step_hint=MODELS_HINT) not in admin.site._registry]
    if missing:
        raise Fail(expected="the admin manages " + ", ".join(ADMIN_MODELS),
                   got="not registered: " + ", ".join(missing),
                   hint="in each app's admin.py: @admin.register(Model) on a ModelAdmin "
                        "(list_display, list_filter, search_fields make it usable) — e.g. "
                        "bookings/admin.py registers Booking.",
                   look=LOOK_ADMIN)
    user_admin = admin.site._registry[_model("accounts.User", step_hint=MODELS_HINT)]
    if not isinstance(user_admin, UserAdmin):
        raise Fail(expected="accounts.User is registered with a subclass of django.contrib."
                            "auth.admin.UserAdmin",
                   got=f"it is registered with {type(user_admin).__name__} "
                       f"({', '.join(b.__name__ for b in type(user_admin).__mro__[1:3])})",
                   hint="class UserAdmin(django.contrib.auth.admin.UserAdmin): a plain "
                        "ModelAdmin shows the password hash as a text box and saves whatever "
                        "is typed there unhashed; Django's UserAdmin has the password forms.",
                   look=LOOK_ADMIN)


@contract("02.b3")
def the_admin_pages_open(ctx: Context) -> None:
    """A superuser opens the admin's list, add and change pages; the user page edits role."""
    from django.conf import settings
    from django.contrib import admin
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("admin:index")
    except NoReverseMatch:
        raise Fail(expected="the admin's URLs in config/urls.py",
                   got="reverse('admin:index') finds no URL",
                   hint="path(\"admin/\", admin.site.urls) in config/urls.py.",
                   look=LOOK_ADMIN) from None
    with _rolled_back(), override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        world = _world()
        stayed = world.booking("completed")
        review = _stored(world.Review, world.review_values(stayed, 5), what="a review")
        boss = _new_user(role="admin", is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(boss)
        rows = {"accounts.User": world.guest, "listings.Listing": world.listing,
                "bookings.Booking": stayed, "bookings.Review": review}
        for label in ADMIN_MODELS:
            model = _model(label, step_hint=MODELS_HINT)
            info = (model._meta.app_label, model._meta.model_name)
            if model not in admin.site._registry:
                continue
            pages = (("changelist", ()), ("add", ()), ("change", (rows[label].pk,)))
            for page, args in pages:
                url = reverse(f"admin:{info[0]}_{info[1]}_{page}", args=args)
                try:
                    response = client.get(url)
                except Exception as exc:
                    raise Fail(expected=f"GET {url} (the admin's {page} page of {label}) "
                                        "answers 200",
                               got=f"it raised {_describe(exc, ctx.project)}",
                               hint="fix the line it names in the app's admin.py (a "
                                    "list_display entry, a method of the ModelAdmin).",
                               look=LOOK_ADMIN) from None
                if response.status_code != 200:
                    raise Fail(expected=f"GET {url} as a superuser answers 200",
                               got=f"{response.status_code}",
                               hint="open it in a browser with `python manage.py runserver` "
                                    "and a `createsuperuser` account to see why.",
                               look=LOOK_ADMIN)
                if label == "accounts.User" and page == "change" \
                        and b'name="role"' not in response.content:
                    raise Fail(expected="the user's change page has the role field",
                               got="no role field in the form",
                               hint="UserAdmin's fieldsets list the fields its form shows: "
                                    "add a section for role, e.g. fieldsets = (*DjangoUser"
                                    "Admin.fieldsets, (\"Role\", {\"fields\": (\"role\",)})).",
                               look=LOOK_ADMIN)


# --- 02.b4 a deterministic seed ------------------------------------------------------------------
SEED_ARGS = ("seed", "--listings", "12", "--seed", "42")
SEED_LISTINGS = 12
#: The second run's clock: over a year later, so a date taken from "today" moves.
DAYS_AHEAD = 400
SEEDED_APPS = ("accounts", "listings", "bookings")


def _seeded_models() -> list[Any]:
    """The models of the apps the seed fills (those of them that are installed)."""
    from django.apps import apps

    labels = {config.label for config in apps.get_app_configs()}
    return [model for label in SEEDED_APPS if label in labels
            for model in apps.get_app_config(label).get_models()]


def _flush() -> None:
    """Empty the seeded apps' tables (and what refers to them); ids start at 1 again."""
    from django.core.management.color import no_style
    from django.db import connection

    tables = sorted({m._meta.db_table for m in _seeded_models()})
    statements = connection.ops.sql_flush(no_style(), tables, reset_sequences=True,
                                          allow_cascade=True)
    connection.ops.execute_sql_flush(statements)


def _compared_fields(model) -> list[Any]:
    """The columns a seed decides: not passwords (salted), nor what Django stamps itself."""
    return [f for f in model._meta.concrete_fields
            if f.name not in ("password", "last_login")
            and not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)]


def _snapshot() -> dict[str, list[tuple]]:
    """Every seeded row, by model, ordered by primary key."""
    found = {}
    for model in _seeded_models():
        names = [f.attname for f in _compared_fields(model)]
        found[model._meta.label] = list(
            model._default_manager.order_by("pk").values_list(*names))
    return found


def _differences(first: dict[str, list[tuple]], second: dict[str, list[tuple]],
                 limit: int = 200) -> list[tuple[str, Any, Any, Any, Any]]:
    """(model, field or None, pk, first value, second value) of the first ``limit``
    differences; a different number of rows is one difference with field ``None``."""
    from django.apps import apps

    found: list[tuple[str, Any, Any, Any, Any]] = []
    for label in first:
        a, b = first[label], second.get(label, [])
        if len(a) != len(b):
            found.append((label, None, None, f"{len(a)} rows", f"{len(b)} rows"))
            continue
        model = apps.get_model(label)
        fields = _compared_fields(model)
        pk_at = fields.index(model._meta.pk) if model._meta.pk in fields else None
        for row_a, row_b in zip(a, b, strict=True):
            for index, field in enumerate(fields):
                if row_a[index] != row_b[index] and len(found) < limit:
                    found.append((label, field, row_a[pk_at] if pk_at is not None else "?",
                                  row_a[index], row_b[index]))
    return found


def _show(value: Any) -> str:
    """A value as the learner would write it: 2026-12-07 12:47:43+00:00, not datetime(...)."""
    if isinstance(value, date | Decimal):
        return str(value)
    return repr(value)


def _telling(differences: list[tuple[str, Any, Any, Any, Any]]) -> tuple[tuple, str]:
    """The difference that says most about the cause, and the hint for that cause. A
    generator without a seed changes values of every kind (and row counts); a date from today
    moves dates (and timestamps derived from them) only; a clock read moves timestamps only."""
    from django.db.models import DateField, DateTimeField

    def kind(field) -> str:
        if isinstance(field, DateTimeField):
            return "timestamp"
        return "date" if isinstance(field, DateField) else "value"

    kinds = {kind(d[1]): d for d in reversed(differences)}  # the first of each kind
    if "value" in kinds:
        return kinds["value"], (
            "every random choice must come from one random.Random(seed) built from the "
            "--seed option (rng.choice, rng.randint), never the random module's shared "
            "generator or uuid4().")
    if "date" in kinds:
        return kinds["date"], (
            "a date came from today: anchor stays to fixed dates (date(2025, 1, 5) + "
            "timedelta(...)), never date.today() or timezone.now().")
    return kinds["timestamp"], (
        "a timestamp came from the clock: give every created_at / date_joined a value built "
        "from fixed constants (datetime(2024, 6, 1, 9, tzinfo=UTC) + timedelta(...)), never "
        "timezone.now() (nor a default=timezone.now left to fill it).")


SEED_USAGE_HINT = ("a management command listings/management/commands/seed.py (class "
                   "Command(BaseCommand)) whose add_arguments() takes --listings (how many) "
                   "and --seed (the random seed).")


def _seed_here(ctx: Context) -> None:
    """``manage.py seed ...`` in this process, as call_command (what manage.py runs after
    setting Django up); a Fail if it raises."""
    import io

    from django.core.management import CommandError, call_command

    try:
        call_command(*SEED_ARGS, stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError as exc:
        usage = re.search(r"Unknown command|unrecognized arguments|invalid", str(exc))
        raise Fail(expected=f"`python manage.py {' '.join(SEED_ARGS)}` fills an empty "
                            "database", got=f"CommandError: {exc}",
                   hint=SEED_USAGE_HINT if usage else "an empty database must be seeded "
                        "without questions (refuse only when there is data already).",
                   look=LOOK_SEED) from None
    except Exception as exc:
        raise Fail(expected=f"`python manage.py {' '.join(SEED_ARGS)}` fills an empty "
                            "database", got=f"it raised {_describe(exc, ctx.project)}",
                   hint="run the same command in your project to see the whole error; fix "
                        "the line it names.", look=LOOK_SEED) from None


def _seed_process(ctx: Context, *, days_ahead: float) -> None:
    """``manage.py seed ...`` as a process of its own, its clock ``days_ahead``."""
    done = ctx.manage(*SEED_ARGS, days_ahead=days_ahead, timeout=120)
    if done.returncode != 0:
        raise Fail(expected=f"`python manage.py {' '.join(SEED_ARGS)}` fills an empty "
                            f"database, also {days_ahead} days from now",
                   got=ctx.error_of(done.stderr or done.stdout),
                   hint="run the same command in your project to see the whole error (did "
                        "a date computed from today fall outside what your models accept?).",
                   look=LOOK_SEED)


@contract("02.b4")
def seed_fills_the_database(ctx: Context) -> None:
    """`manage.py seed --listings 12 --seed 42` writes hosts, guests, 12 listings, bookings
    and reviews."""
    from django.contrib.auth import get_user_model

    _flush()
    _seed_here(ctx)
    listing_model = _model("listings.Listing", step_hint=MODELS_HINT)
    booking_model = _model("bookings.Booking", step_hint=MODELS_HINT)
    review_model = _model("bookings.Review", step_hint=MODELS_HINT)
    users = get_user_model()._default_manager
    counts = {"listings": listing_model._default_manager.count(),
              "hosts": users.filter(role="host").count(),
              "guests": users.filter(role="guest").count(),
              "bookings": booking_model._default_manager.count(),
              "reviews": review_model._default_manager.count()}
    shown = ", ".join(f"{n} {what}" for what, n in counts.items())
    if counts["listings"] != SEED_LISTINGS:
        raise Fail(expected=f"--listings {SEED_LISTINGS} makes {SEED_LISTINGS} listings",
                   got=shown,
                   hint="use the --listings option's value in handle(): the course seeds 200, "
                        "a test seeds a dozen.", look=LOOK_SEED)
    if not all(counts.values()):
        raise Fail(expected="hosts, guests, listings, bookings and reviews",
                   got=shown,
                   hint="the demo data exercises the whole schema: hosts own the listings, "
                        "guests book them, completed stays get reviews.", look=LOOK_SEED)
    not_hosts = listing_model._default_manager.exclude(host__role="host").count()
    if not_hosts:
        raise Fail(expected="every seeded listing belongs to a user with role 'host'",
                   got=f"{not_hosts} of {counts['listings']} belong to another role",
                   hint="create the hosts with role=Role.HOST and give them the listings.",
                   look=LOOK_SEED)


@contract("02.b4")
def seed_writes_the_same_rows_every_run(ctx: Context) -> None:
    """Seeding an empty database again, even a year later, writes the very same rows."""
    if not _model("listings.Listing", step_hint=MODELS_HINT)._default_manager.exists():
        _flush()
        _seed_here(ctx)
    first = _snapshot()  # seeded in this process, today
    _flush()
    _seed_process(ctx, days_ahead=DAYS_AHEAD)
    second = _snapshot()
    if first == second:
        return
    (label, field, pk, one, two), hint = _telling(_differences(first, second))
    where = label + (f" {pk}, {field.name}" if field is not None else "")
    got = f"{where}: {_show(one)} in the first run, {_show(two)} in the second"
    raise Fail(expected=f"`manage.py {' '.join(SEED_ARGS)}` on an empty database writes the "
                        "same rows every time (the second run with the clock "
                        f"{DAYS_AHEAD} days ahead)",
               got=got, hint=hint, look=LOOK_SEED)


@contract("02.b4")
def seed_again_adds_nothing(ctx: Context) -> None:
    """Running seed again on a seeded database adds no rows: it refuses with a one-line error,
    or replaces the data."""
    import io

    from django.core.management import CommandError, call_command

    before = {label: len(rows) for label, rows in _snapshot().items()}
    crashed = None
    try:
        call_command(*SEED_ARGS, stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError:
        pass  # a refusal: manage.py prints its one line and exits with status 1
    except Exception as exc:
        crashed = _describe(exc, ctx.project)
    after = {label: len(rows) for label, rows in _snapshot().items()}
    grown = [f"{label}: {before[label]} → {after.get(label)}" for label in before
             if after.get(label) != before[label]]
    if grown:
        raise Fail(expected="a second `manage.py seed` leaves as many rows as the first",
                   got="; ".join(grown[:3]),
                   hint="refuse when the data is already there (raise CommandError(\"… pass "
                        "--replace\")) or delete the seeded rows first: a demo data set that "
                        "doubles on every run is not the one lessons print.",
                   look=LOOK_SEED)
    if crashed:
        raise Fail(expected="a second `manage.py seed` refuses with a one-line message, or "
                            "replaces the data",
                   got=f"it crashed: {crashed}",
                   hint="check first and raise django.core.management.base.CommandError(\"The "
                        "database already holds listings; pass --replace\"): Django prints it "
                        "as one line and exits with status 1, no traceback.",
                   look=LOOK_SEED)
