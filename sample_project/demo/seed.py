"""Deterministic demo data: users, listings, bookings, reviews and payments (and, if asked for,
message threads).

``seed_demo_data(listings=200, seed=42)`` always writes the same rows for the same
arguments: every random choice comes from one ``random.Random(seed)`` and every date
and timestamp is anchored to fixed constants, never to "today". Past stays are in
2025 (completed or cancelled), upcoming stays in 2027 (confirmed, pending or
cancelled), so lessons can print seeded data and get the same output on every
machine, every year.

``threads=N`` adds N conversations between guests and hosts about their stays. It is 0 by
default, so the course's data set (``--listings 200 --seed 42``) and every count a lesson
prints from it stay as they were. The threads take their randomness from a generator of their
own, so asking for them changes no other row.

Every seeded user's password is ``DEMO_PASSWORD``. The management command
``python manage.py seed`` is a thin wrapper around ``seed_demo_data``. Both live in the
``demo`` app because they write rows of every app: no app may import them.
"""

import hashlib
import hmac
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import F

from accounts.models import Role, User
from bookings.models import Booking, BookingStatus, Review
from listings.cache import bump_generation_on_commit
from listings.models import City, Listing, listing_slug
from messaging.models import Message, MessageHistory, Notification
from payments.models import Currency, Payment, PaymentStatus

DEMO_PASSWORD = "nexus-demo-1234"
# Seeded accounts are recognisable by this domain, so --replace can remove them
# without touching accounts people created by hand.
SEED_EMAIL_DOMAIN = "demo.nexus.example"

LISTINGS_PER_HOST = 8
LISTINGS_PER_GUEST = 2

# Fixed anchors: the data must not depend on the day it is generated.
USERS_JOINED_FROM = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
LISTINGS_CREATED_FROM = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
PAST_STAYS_FROM = date(2025, 1, 5)
PAST_STAYS_UNTIL = date(2025, 12, 20)
UPCOMING_STAYS_FROM = date(2027, 1, 5)
UPCOMING_STAYS_UNTIL = date(2027, 12, 20)
BATCH_SIZE = 1000


class SeedRefusedError(Exception):
    """The database already holds data and ``replace`` was not asked for."""


@dataclass(frozen=True)
class SeedSummary:
    """How many rows of each kind ``seed_demo_data`` wrote."""

    users: int
    hosts: int
    guests: int
    listings: int
    bookings: int
    reviews: int
    payments: int
    threads: int = 0
    messages: int = 0

    def __str__(self) -> str:
        text = (
            f"Seeded {self.users} users ({self.hosts} hosts, {self.guests} guests, 1 admin), "
            f"{self.listings} listings, {self.bookings} bookings, {self.reviews} reviews, "
            f"{self.payments} payments"
        )
        # Only when asked for: the default data set's summary reads as it always has.
        if self.threads:
            text += f", {self.threads} message threads ({self.messages} messages)"
        return text + "."


# ---------------------------------------------------------------------------------------
# Vocabulary. Prices are plausible ETB per night for a 1-bedroom place; bigger places
# cost more (see _price). Weights make Addis Ababa the busiest market, as it is.
# ---------------------------------------------------------------------------------------
CITY_PROFILES: dict[str, dict] = {
    City.ADDIS_ABABA: {
        "weight": 34,
        "price": (2200, 6500),
        "areas": ["Bole", "Kazanchis", "Piassa", "CMC", "Sarbet", "Old Airport", "Megenagna"],
        "sights": ["near Bole", "close to Meskel Square", "by Entoto Park", "near Merkato"],
    },
    City.BAHIR_DAR: {
        "weight": 10,
        "price": (1600, 4500),
        "areas": ["Kebele 4", "Gish Abay", "Lake Shore", "Peda"],
        "sights": ["by Lake Tana", "near the Blue Nile", "with lake view"],
    },
    City.HAWASSA: {
        "weight": 10,
        "price": (1500, 4200),
        "areas": ["Piassa", "Tabor", "Lake Side", "Addis Ketema"],
        "sights": ["by Lake Hawassa", "near the fish market", "near Tabor Hill"],
    },
    City.GONDAR: {
        "weight": 8,
        "price": (1300, 3800),
        "areas": ["Piassa", "Arada", "Azezo", "Kebele 16"],
        "sights": ["near Fasil Ghebbi", "by the Royal Enclosure", "near Fasilides' Bath"],
    },
    City.LALIBELA: {
        "weight": 8,
        "price": (1500, 5000),
        "areas": ["Kebele 1", "Kebele 2", "Shimsheha", "Old Town"],
        "sights": ["near the rock-hewn churches", "with mountain view", "near Bete Giyorgis"],
    },
    City.ADAMA: {
        "weight": 8,
        "price": (1100, 3200),
        "areas": ["Posta Bet", "Dabe", "Boku", "Migira"],
        "sights": ["near Sodere hot springs", "close to the bus station", "in the centre"],
    },
    City.DIRE_DAWA: {
        "weight": 6,
        "price": (1100, 3300),
        "areas": ["Kezira", "Sabiyan", "Legehare", "Gendekore"],
        "sights": ["near the railway station", "in old Kezira", "near Kafira market"],
    },
    City.ARBA_MINCH: {
        "weight": 6,
        "price": (1200, 3600),
        "areas": ["Sikela", "Secha", "Shecha Hill"],
        "sights": ["overlooking Nechisar", "near Lake Chamo", "with forest view"],
    },
    City.HARAR: {
        "weight": 5,
        "price": (900, 2800),
        "areas": ["Jugol", "Shenkor", "Aboker"],
        "sights": ["inside the Jugol walls", "near the hyena feeding", "by Harar Gate"],
    },
    City.AXUM: {
        "weight": 5,
        "price": (1100, 3300),
        "areas": ["Kebele 2", "Hawelti", "Maebel"],
        "sights": ["near the obelisks", "by Maryam Tsion", "near Queen of Sheba's Bath"],
    },
}

ADJECTIVES = ["Sunny", "Cosy", "Bright", "Quiet", "Spacious", "Modern", "Charming", "Airy"]
PLACE_KINDS = {
    1: ["studio", "apartment", "tukul", "guesthouse room"],
    2: ["apartment", "flat", "cottage", "guesthouse"],
    3: ["family home", "villa", "townhouse"],
    4: ["villa", "family home", "compound house"],
}
DESCRIPTION_LINES = [
    "Fast Wi-Fi and a desk for working.",
    "Traditional coffee (buna) ceremony on request.",
    "Hot water all day and a backup generator.",
    "Secure compound with a guard and parking.",
    "Breakfast of firfir or chechebsa can be arranged.",
    "Walking distance to cafés, shops and minibus stops.",
    "Garden with a shaded terrace.",
    "Airport pick-up available for a small fee.",
]
FIRST_NAMES = [
    "Abebe", "Almaz", "Bethlehem", "Biniyam", "Dawit", "Eden", "Feven", "Fikirte",
    "Girma", "Hana", "Henok", "Hiwot", "Kebede", "Kidist", "Lidya", "Mekdes", "Meron",
    "Mulugeta", "Nahom", "Rahel", "Samuel", "Sara", "Selam", "Solomon", "Tigist",
    "Tsion", "Yared", "Yonas", "Zewdu", "Mahlet",
]  # fmt: skip
REVIEW_COMMENTS = {
    5: ["Wonderful stay, the host made us feel at home.", "Spotless and exactly as shown.",
        "Best buna I've had. Will come back!", "Perfect location, very quiet at night."],
    4: ["Great place, a little noisy in the morning.", "Comfortable and clean, good value.",
        "Friendly host; the water pressure could be better."],
    3: ["Fine for a night or two.", "Okay, but smaller than the photos suggest.",
        "Decent location, basic furniture."],
    2: ["Power cuts and no working generator.", "Not very clean when we arrived."],
    1: ["The listing did not match the description at all."],
}  # fmt: skip
# Mostly happy guests, a few unhappy ones, as on every review site.
RATING_WEIGHTS = {5: 45, 4: 30, 3: 15, 2: 6, 1: 4}
# Conversations about a stay: the guest writes first, then guest and host take turns, each
# message answering the one before (a thread nests as deep as it is long).
THREAD_SCRIPTS = [
    ["Hello! Could we check in before noon?", "Yes, the room is ready from 10:00.",
     "Perfect, see you then."],
    ["Is there parking for one car?", "Yes, inside the compound, next to the guard's gate."],
    ["Could you arrange an airport pick-up?",
     "Of course: 600 ETB from Bole airport. When do you land?", "At 14:35, flight ET 302.",
     "My cousin will be waiting at arrivals with your name on a sign."],
    ["Is breakfast included?", "Firfir or chechebsa every morning, on request.",
     "Chechebsa, please!"],
    ["Do you have a backup generator?", "Yes, it starts by itself during power cuts."],
    ["We may arrive late, around 23:00. Is that all right?",
     "No problem, the guard will let you in and give you the keys."],
]  # fmt: skip


def seed_demo_data(
    *, listings: int = 200, seed: int = 42, replace: bool = False, threads: int = 0
) -> SeedSummary:
    """Write the demo data set (``listings`` listings, randomness from ``seed``), with
    ``threads`` message threads about confirmed and completed stays (fewer if there are
    fewer such stays).

    Refuses with ``SeedRefusedError`` if the database already has listings or seeded
    users, unless ``replace`` is true: then all listings, bookings, reviews, payments and
    messages, and the previously seeded users, are deleted first. Runs in one transaction, so a
    failure leaves the database as it was.
    """
    if listings < 0 or threads < 0:
        raise ValueError("listings and threads must be zero or more")
    rng = random.Random(seed)
    with transaction.atomic():
        existing = Listing.objects.count()
        seeded_users = User.objects.filter(email__iendswith=f"@{SEED_EMAIL_DOMAIN}").exists()
        if (existing or seeded_users) and not replace:
            raise SeedRefusedError(
                f"The database already holds {existing} listings"
                + (" and seeded users" if seeded_users else "")
                + "; pass --replace to delete the seeded data and seed again."
            )
        if replace:
            _delete_seeded_data()
        taken = User.objects.filter(username__in=_usernames(listings=listings))
        if taken.exists():
            names = ", ".join(taken.order_by("username").values_list("username", flat=True)[:3])
            raise SeedRefusedError(
                f"Username(s) {names} belong to accounts the seed did not create; "
                "rename or delete them first."
            )

        hosts, guests = _create_users(rng, listings=listings)
        listing_rows = _create_listings(rng, count=listings, hosts=hosts)
        booking_rows = _create_bookings(rng, listings=listing_rows, guests=guests)
        review_count = _create_reviews(rng, bookings=booking_rows)
        payment_count = _create_payments(rng, bookings=booking_rows)
        # A generator of their own (a string seed is hashed with SHA-512, the same on every
        # machine): asking for threads leaves every row above as it was.
        thread_count, message_count = _create_threads(
            random.Random(f"threads-{seed}"), count=threads, bookings=booking_rows)

        # auto_now fields are stamped with the wall clock on insert; pin them to the
        # creation time so the rows are identical on every run.
        for model in (Listing, Booking, Payment):
            model.objects.update(updated_at=F("created_at"))
        # bulk_create() and update() send no signals: tell the listings cache ourselves.
        bump_generation_on_commit()

    return SeedSummary(
        users=len(hosts) + len(guests) + 1,
        hosts=len(hosts),
        guests=len(guests),
        listings=len(listing_rows),
        bookings=len(booking_rows),
        reviews=review_count,
        payments=payment_count,
        threads=thread_count,
        messages=message_count,
    )


def _delete_seeded_data() -> None:
    """Remove the demo data, children before parents (the foreign keys PROTECT them)."""
    # Messages are about listings and bookings (and would go with them, CASCADE): deleted
    # first, so the sequences below restart from an empty table.
    Message.objects.all().delete()
    Payment.objects.all().delete()
    Review.objects.all().delete()
    Booking.objects.all().delete()
    Listing.objects.all().delete()
    User.objects.filter(email__iendswith=f"@{SEED_EMAIL_DOMAIN}").delete()
    # Restart the id sequences, so a replaced data set gets the same ids as a fresh
    # database would (lessons print ids). Same SQL `manage.py loaddata` uses.
    sql = connection.ops.sequence_reset_sql(
        _NoStyle(),
        [User, Listing, Booking, Review, Payment, Message, MessageHistory, Notification])
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


class _NoStyle:
    """A do-nothing stand-in for the terminal colour style that sequence_reset_sql wants."""

    def __getattr__(self, name: str):
        return lambda text: text


def _user_counts(*, listings: int) -> tuple[int, int]:
    """How many hosts and guests go with ``listings`` listings (at least one of each)."""
    hosts = max(1, -(-listings // LISTINGS_PER_HOST))  # ceiling division
    guests = max(1, -(-listings // LISTINGS_PER_GUEST))
    return hosts, guests


def _usernames(*, listings: int) -> list[str]:
    """The seeded usernames in creation order: admin, host001…, guest0001…."""
    host_count, guest_count = _user_counts(listings=listings)
    return [
        "admin",
        *(f"host{i:03d}" for i in range(1, host_count + 1)),
        *(f"guest{i:04d}" for i in range(1, guest_count + 1)),
    ]


def _create_users(rng: random.Random, *, listings: int) -> tuple[list[User], list[User]]:
    """The admin, then hosts and guests in proportion to the number of listings."""
    host_count, _ = _user_counts(listings=listings)
    # Hashing is slow by design (~0.3 s each); one hash shared by every demo user keeps
    # a 1,000-listing seed fast. Never do this with real users' passwords.
    password = make_password(DEMO_PASSWORD)
    users = []
    for index, username in enumerate(_usernames(listings=listings)):
        role = Role.ADMIN if index == 0 else Role.HOST if index <= host_count else Role.GUEST
        users.append(
            User(
                username=username,
                email=f"{username}@{SEED_EMAIL_DOMAIN}",
                first_name=rng.choice(FIRST_NAMES),
                # Ethiopian surnames are the father's given name.
                last_name=rng.choice(FIRST_NAMES),
                role=role,
                is_staff=role == Role.ADMIN,
                is_superuser=role == Role.ADMIN,
                password=password,
                date_joined=USERS_JOINED_FROM + timedelta(hours=index),
            )
        )
    created = User.objects.bulk_create(users, batch_size=BATCH_SIZE)
    return created[1 : host_count + 1], created[host_count + 1 :]


def _create_listings(rng: random.Random, *, count: int, hosts: Sequence[User]) -> list[Listing]:
    cities = list(CITY_PROFILES)
    weights = [CITY_PROFILES[city]["weight"] for city in cities]
    rows = []
    for index in range(count):
        city = rng.choices(cities, weights)[0]
        profile = CITY_PROFILES[city]
        bedrooms = rng.choices([1, 2, 3, 4], [40, 35, 18, 7])[0]
        kind = rng.choice(PLACE_KINDS[bedrooms])
        size = "" if kind == "studio" or "room" in kind else f"{bedrooms}-bedroom "
        title = f"{rng.choice(ADJECTIVES)} {size}{kind} {rng.choice(profile['sights'])}"
        if city != City.ADDIS_ABABA and rng.random() < 0.3:
            title = f"{title} in {City(city).label}"
        area = rng.choice(profile["areas"])
        rows.append(
            Listing(
                # Hosts own consecutive blocks of listings, like real hosts with several units.
                host=hosts[index * len(hosts) // count],
                title=title[:120],
                description=" ".join(rng.sample(DESCRIPTION_LINES, k=3)),
                city=city,
                address=f"House {rng.randint(1, 999)}, {area}, {City(city).label}",
                price_per_night=_price(rng, profile["price"], bedrooms),
                max_guests=bedrooms * 2 + rng.randint(0, 2),
                bedrooms=bedrooms,
                is_active=rng.random() < 0.95,
                created_at=LISTINGS_CREATED_FROM + timedelta(hours=index),
            )
        )
    created = Listing.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    # The slug ends with the id, which PostgreSQL hands out on insert: fill it in afterwards,
    # with the rule migration 0004 applied to the listings that existed before slugs.
    for listing in created:
        listing.slug = listing_slug(listing.title, listing.pk)
    Listing.objects.bulk_update(created, ["slug"], batch_size=BATCH_SIZE)
    return created


def _price(rng: random.Random, price_range: tuple[int, int], bedrooms: int) -> Decimal:
    """A nightly price in ETB, rounded to 50 birr as hosts do."""
    low, high = price_range
    base = rng.uniform(low, high) * (1 + 0.45 * (bedrooms - 1))
    return Decimal(round(base / 50) * 50).quantize(Decimal("0.01"))


def _create_bookings(
    rng: random.Random, *, listings: Sequence[Listing], guests: Sequence[User]
) -> list[Booking]:
    """Walk each listing's calendar forward so its stays never overlap."""
    rows = []
    for listing in listings:
        periods = (
            (PAST_STAYS_FROM, PAST_STAYS_UNTIL, rng.randint(0, 6), _past_status),
            (UPCOMING_STAYS_FROM, UPCOMING_STAYS_UNTIL, rng.randint(0, 3), _upcoming_status),
        )
        for start, until, count, pick_status in periods:
            day = start + timedelta(days=rng.randint(0, 30))
            for _ in range(count):
                nights = rng.choices([1, 2, 3, 4, 5, 7, 10], [10, 25, 25, 15, 12, 9, 4])[0]
                check_out = day + timedelta(days=nights)
                if check_out > until:
                    break
                rows.append(
                    Booking(
                        listing=listing,
                        guest=rng.choice(guests),
                        check_in=day,
                        check_out=check_out,
                        guests=rng.randint(1, listing.max_guests),
                        total_price=listing.price_per_night * nights,
                        status=pick_status(rng),
                        # Booked three weeks before arrival.
                        created_at=_at(day - timedelta(days=21), hour=10),
                    )
                )
                # Sometimes the next guest arrives the day this one leaves (back-to-back).
                day = check_out + timedelta(days=rng.choice([0, 0, 2, 5, 9, 14, 21, 30]))
    return Booking.objects.bulk_create(rows, batch_size=BATCH_SIZE)


def _at(day: date, *, hour: int) -> datetime:
    """A fixed, timezone-aware moment on ``day`` (UTC)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _past_status(rng: random.Random) -> str:
    return BookingStatus.COMPLETED if rng.random() < 0.85 else BookingStatus.CANCELLED


def _upcoming_status(rng: random.Random) -> str:
    return rng.choices(
        [BookingStatus.CONFIRMED, BookingStatus.PENDING, BookingStatus.CANCELLED], [60, 25, 15]
    )[0]


def _create_reviews(rng: random.Random, *, bookings: Sequence[Booking]) -> int:
    ratings = list(RATING_WEIGHTS)
    weights = list(RATING_WEIGHTS.values())
    rows = []
    for booking in bookings:
        if booking.status != BookingStatus.COMPLETED or rng.random() >= 0.6:
            continue
        rating = rng.choices(ratings, weights)[0]
        rows.append(
            Review(
                booking=booking,
                listing=booking.listing,
                author=booking.guest,
                rating=rating,
                comment=rng.choice(REVIEW_COMMENTS[rating]),
                # Written within a week of leaving.
                created_at=_at(booking.check_out + timedelta(days=rng.randint(0, 6)), hour=15),
            )
        )
    return len(Review.objects.bulk_create(rows, batch_size=BATCH_SIZE))


def _seed_tx_ref(number: int) -> str:
    """``seed-`` and 24 hex digits: the attempt's number keyed with SECRET_KEY (an HMAC)."""
    mac = hmac.new(settings.SECRET_KEY.encode(), f"seed-payment-{number}".encode(),
                   hashlib.sha256)
    return f"seed-{mac.hexdigest()[:24]}"


def _create_payments(rng: random.Random, *, bookings: Sequence[Booking]) -> int:
    """Paid confirmed bookings; some needed a second attempt after a failed one."""
    rows = []
    for booking in bookings:
        if booking.status != BookingStatus.CONFIRMED or rng.random() >= 0.5:
            continue
        paid_at = booking.created_at + timedelta(minutes=rng.randint(2, 50))
        attempts = (
            [PaymentStatus.FAILED, PaymentStatus.SUCCESS]
            if rng.random() < 0.1
            else [PaymentStatus.SUCCESS]
        )
        for status in attempts:
            # One tx_ref per attempt, as Chapa requires; deterministic for the seed and the
            # deployment's secret, unguessable without it (a payment's return page is at
            # /payments/return/<tx_ref>/: sequential refs would let anyone list them all).
            tx_ref = _seed_tx_ref(len(rows) + 1)
            reference = f"AP{rng.getrandbits(40):010X}" if status == PaymentStatus.SUCCESS else ""
            rows.append(
                Payment(
                    booking=booking,
                    tx_ref=tx_ref,
                    amount=booking.total_price,
                    currency=Currency.ETB,
                    status=status,
                    chapa_reference=reference,
                    verify_payload={
                        "status": "success",
                        "data": {
                            "tx_ref": tx_ref,
                            "status": status,
                            "amount": str(booking.total_price),
                            "currency": Currency.ETB,
                            "reference": reference or None,
                        },
                    },
                    created_at=paid_at,
                )
            )
            paid_at += timedelta(minutes=5)
    return len(Payment.objects.bulk_create(rows, batch_size=BATCH_SIZE))


def _create_threads(
    rng: random.Random, *, count: int, bookings: Sequence[Booking]
) -> tuple[int, int]:
    """``count`` conversations about confirmed and completed stays, in booking order; how many
    threads and messages were written.

    ``bulk_create()`` sends no ``post_save``: seeded messages notify nobody and keep no edit
    history (messaging/signals.py). Every message is read except each thread's last one.
    """
    stays = [booking for booking in bookings
             if booking.status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)][:count]
    scripts = [rng.choice(THREAD_SCRIPTS) for _ in stays]
    newest: dict[int, Message] = {}  # thread number → its newest message, which the next answers
    # One level at a time: a reply needs its parent's id, which PostgreSQL hands out on insert
    # (bulk_create sets it on the objects).
    for depth in range(max(map(len, scripts), default=0)):
        level: dict[int, Message] = {}
        for number, (booking, script) in enumerate(zip(stays, scripts, strict=True)):
            if depth >= len(script):
                continue
            guest, host = booking.guest, booking.listing.host
            parent = newest.get(number)
            level[number] = Message(
                sender=guest if depth % 2 == 0 else host,
                receiver=host if depth % 2 == 0 else guest,
                # The first message says what the thread is about; replies say whose answer.
                listing=booking.listing if parent is None else None,
                booking=booking if parent is None else None,
                parent_message=parent,
                thread_root=None if parent is None else (parent.thread_root or parent),
                content=script[depth],
                # A week before arrival, then an answer every few hours.
                timestamp=_at(booking.check_in - timedelta(days=7), hour=6)
                + timedelta(hours=3 * depth + rng.randint(0, 2)),
                read=depth < len(script) - 1,
            )
        Message.objects.bulk_create(level.values(), batch_size=BATCH_SIZE)
        newest.update(level)
    return len(stays), sum(map(len, scripts))
