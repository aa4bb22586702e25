"""Wishlists: the listings a guest saved, and the price each one had when they saved it."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class WishlistItem(models.Model):
    """One listing in one user's wishlist.

    A guest has one wishlist, so the wishlist *is* the set of their items: no ``Wishlist`` row
    to create, fetch and keep in step. Named lists ("Lalibela trip") would bring that model;
    until then it would be a table that only ever holds a user id.
    """

    # CASCADE both ways: an item is the user's bookmark, not a business record. It has no
    # meaning without its user, and a listing can only be deleted if it was never booked.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wishlist_items"
    )
    listing = models.ForeignKey(
        "listings.Listing", on_delete=models.CASCADE, related_name="wishlist_items"
    )
    # The nightly price the guest saw when they saved it: what a "price drop" is measured
    # against. Copied by the service, never taken from the client.
    saved_price = models.DecimalField(max_digits=10, decimal_places=2, help_text="ETB")
    # The idempotency record of the price-drop email: the price the guest was last told
    # about, set in the same transaction as the send. A drop is news only below it.
    notified_price = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, editable=False, help_text="ETB"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Saving twice is one bookmark, enforced by PostgreSQL even for two requests
            # racing; its index also serves "my wishlist" (user first).
            models.UniqueConstraint(
                fields=["user", "listing"],
                name="wishlist_item_unique_per_user",
                violation_error_message="This listing is already in your wishlist.",
            ),
            models.CheckConstraint(
                condition=Q(saved_price__gt=Decimal("0")),
                name="wishlist_item_saved_price_positive",
                violation_error_message="The saved price must be greater than zero.",
            ),
            models.CheckConstraint(
                condition=Q(notified_price__isnull=True) | Q(notified_price__gt=Decimal("0")),
                name="wishlist_item_notified_price_positive",
                violation_error_message="The notified price must be greater than zero.",
            ),
        ]
        # "Who saved listing 7?" — asked on every price change (the unique index above
        # starts with user, so it can't answer this one).
        indexes = [models.Index(fields=["listing"], name="wishlist_item_listing_idx")]

    def __str__(self) -> str:
        return f"listing {self.listing_id} in {self.user_id}'s wishlist"

    @property
    def reference_price(self) -> Decimal:
        """The price a new drop must beat: the last one we told the guest, else the saved one."""
        return self.notified_price if self.notified_price is not None else self.saved_price
