"""Places to stay (Listing). What guests said about a stay (Review) is in bookings.models."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify


class City(models.TextChoices):
    """Cities a listing can be in; stored as a short slug, shown with its English name."""

    ADDIS_ABABA = "addis-ababa", "Addis Ababa"
    BAHIR_DAR = "bahir-dar", "Bahir Dar"
    GONDAR = "gondar", "Gondar"
    LALIBELA = "lalibela", "Lalibela"
    HAWASSA = "hawassa", "Hawassa"
    DIRE_DAWA = "dire-dawa", "Dire Dawa"
    ADAMA = "adama", "Adama"
    ARBA_MINCH = "arba-minch", "Arba Minch"
    HARAR = "harar", "Harar"
    AXUM = "axum", "Axum"


def listing_slug(title: str, pk: int) -> str:
    """A listing's URL name: the title made URL-safe, then its id (unique by construction)."""
    return f"{slugify(title)[:120].strip('-')}-{pk}"


class Listing(models.Model):
    """A place a host offers for short stays, priced per night in Ethiopian birr (ETB)."""

    # PROTECT, not CASCADE: deleting a host's account must not silently erase listings
    # that carry bookings, reviews and payment history. Deactivate the host instead.
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="listings"
    )
    title = models.CharField(max_length=120)
    # The listing's name in URLs (/stays/cosy-studio-near-bole-17/): the title made URL-safe,
    # with the id appended so two "Cosy studio near Bole" listings never share one. Added
    # after launch, so it is nullable for now: migration 0004 filled it for the rows that
    # existed; making it NOT NULL is a later step, once every code path that creates a
    # listing writes one (the expand → migrate data → contract pattern).
    slug = models.SlugField(max_length=140, unique=True, null=True, blank=True)
    description = models.TextField(blank=True)
    city = models.CharField(max_length=32, choices=City.choices)
    address = models.CharField(max_length=255)
    # Decimal, never float, for money: 0.1 + 0.2 must equal 0.3 on an invoice.
    price_per_night = models.DecimalField(max_digits=10, decimal_places=2, help_text="ETB")
    max_guests = models.PositiveSmallIntegerField()
    bedrooms = models.PositiveSmallIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    # default= rather than auto_now_add=: the value can still be set explicitly, which
    # lets the seed command write fixed, reproducible timestamps.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_per_night__gt=Decimal("0")),
                name="listing_price_positive",
                violation_error_message="The price per night must be greater than zero.",
            ),
            models.CheckConstraint(
                condition=Q(max_guests__gte=1),
                name="listing_max_guests_at_least_one",
                violation_error_message="A listing must accept at least one guest.",
            ),
            models.CheckConstraint(
                condition=Q(city__in=City.values),
                name="listing_city_valid",
                violation_error_message="Unknown city.",
            ),
        ]
        indexes = [
            # The search every guest runs: "active stays in <city>, cheapest first" or
            # "under <price>". Partial (active only) because inactive listings are never
            # searched, so the index stays smaller; city first because it is an
            # equality filter, price second because it is a range and a sort key.
            models.Index(
                fields=["city", "price_per_night"],
                condition=Q(is_active=True),
                name="listing_active_city_price_idx",
            ),
            # "Stays for 6 people in <city>": equality on city, range on capacity.
            models.Index(
                fields=["city", "max_guests"],
                condition=Q(is_active=True),
                name="listing_active_city_guests_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_city_display()})"
