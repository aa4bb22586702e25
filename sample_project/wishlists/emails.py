"""The emails wishlists send: what they say, kept apart from when and how they are sent."""

from django.core.mail import EmailMessage

from wishlists.models import WishlistItem


def price_drop_message(*, item: WishlistItem) -> EmailMessage:
    """The "a stay you saved is cheaper now" email to the guest."""
    listing, user = item.listing, item.user
    price = listing.price_per_night
    saving = item.saved_price - price
    body = "\n".join([
        f"Hello {user.first_name or user.username},",
        "",
        f"{listing.title} ({listing.get_city_display()}), which you saved to your wishlist at",
        f"{item.saved_price} ETB a night, now costs {price} ETB a night"
        + (f": {saving} ETB less ({saving / item.saved_price:.0%})." if saving > 0 else "."),
        "",
        "Book it before someone else does, or remove it from your wishlist to stop these emails.",
        "",
        "Nexus Stays",
    ])
    return EmailMessage(
        subject=f"Price drop: {listing.title} is now {price} ETB a night",
        body=body,
        to=[user.email],
        # Which drop this is: a duplicate that ever slipped through would carry the same value.
        headers={"X-Nexus-Price-Drop": f"{item.pk}:{price}"},
    )
