"""Plausible wrong answers to the exercises of lesson 13, each with the hint its check must give.

``WRONG_ANSWERS`` maps an exercise id to ``[(wrong answer, a phrase of the hint meant for it)]``.
A check that accepts one of these, or rejects it with another hint, is a defect. ``probe.py`` runs
them in a fresh process where ``nexus.start`` has set Django up.
"""

from __future__ import annotations

import contextlib

# --- 13.1 save_to_wishlist ------------------------------------------------------------------------


def save_by_inserting(user, listing):
    from wishlists.models import WishlistItem

    # "The API only calls this when the heart is empty."
    item = WishlistItem.objects.create(user=user, listing=listing,
                                       saved_price=listing.price_per_night)
    return item, True


def save_with_update_or_create(user, listing):
    from wishlists.models import WishlistItem

    # Keeps the row unique — and moves the guest's reference price every time.
    return WishlistItem.objects.update_or_create(
        user=user, listing=listing, defaults={"saved_price": listing.price_per_night})


def save_any_listing(user, listing):
    from wishlists.models import WishlistItem

    return WishlistItem.objects.get_or_create(
        user=user, listing=listing, defaults={"saved_price": listing.price_per_night})


def save_then_check(user, listing):
    from django.core.exceptions import ValidationError

    from wishlists.models import WishlistItem

    result = WishlistItem.objects.get_or_create(
        user=user, listing=listing, defaults={"saved_price": listing.price_per_night})
    if not listing.is_active:
        raise ValidationError({"listing": "This listing is not available."})
    return result


def save_always_created(user, listing):
    from django.core.exceptions import ValidationError

    from wishlists.models import WishlistItem

    if not listing.is_active:
        raise ValidationError({"listing": "This listing is not available."})
    item, _ = WishlistItem.objects.get_or_create(
        user=user, listing=listing, defaults={"saved_price": listing.price_per_night})
    return item, True  # "it is in the wishlist now"


def save_value_error(user, listing):
    from wishlists.models import WishlistItem

    if not listing.is_active:
        raise ValueError("This listing is not available.")
    return WishlistItem.objects.get_or_create(
        user=user, listing=listing, defaults={"saved_price": listing.price_per_night})


# --- 13.2 guests_to_notify ------------------------------------------------------------------------


def notify_against_saved_price_only(listing):
    from django.db.models import F

    from wishlists.models import WishlistItem

    return WishlistItem.objects.filter(listing=listing, listing__is_active=True,
                                       saved_price__gt=F("listing__price_per_night"))


def notify_at_the_same_price(listing):
    from django.db.models import F
    from django.db.models.functions import Coalesce

    from wishlists.models import WishlistItem

    return (WishlistItem.objects.filter(listing=listing, listing__is_active=True)
            .alias(reference=Coalesce("notified_price", "saved_price"))
            .filter(reference__gte=F("listing__price_per_night")))


def notify_on_a_rise(listing):
    from django.db.models import F
    from django.db.models.functions import Coalesce

    from wishlists.models import WishlistItem

    return (WishlistItem.objects.filter(listing=listing, listing__is_active=True)
            .alias(reference=Coalesce("notified_price", "saved_price"))
            .filter(reference__lt=F("listing__price_per_night")))


def notify_ids_from_python(listing):
    from wishlists.models import WishlistItem

    items = WishlistItem.objects.filter(listing=listing, listing__is_active=True)
    told = [item.pk for item in items
            if (item.notified_price or item.saved_price) > listing.price_per_night]
    return WishlistItem.objects.filter(pk__in=told)  # "it is a queryset"


def notify_in_a_python_loop(listing):
    from wishlists.models import WishlistItem

    return [item for item in WishlistItem.objects.filter(listing=listing)
            if item.reference_price > item.listing.price_per_night]


def notify_even_when_inactive(listing):
    from django.db.models import F
    from django.db.models.functions import Coalesce

    from wishlists.models import WishlistItem

    return (WishlistItem.objects.filter(listing=listing)
            .alias(reference=Coalesce("notified_price", "saved_price"))
            .filter(reference__gt=F("listing__price_per_night")))


# --- 13.3 notify_price_drop -----------------------------------------------------------------------


def notify_without_recording(item_id):
    from wishlists.emails import price_drop_message
    from wishlists.models import WishlistItem

    item = WishlistItem.objects.select_related("listing", "user").filter(pk=item_id).first()
    if item is None or item.listing.price_per_night >= item.reference_price:
        return False
    price_drop_message(item=item).send()
    return True


def notify_against_saved_price(item_id):
    from django.db import transaction

    from wishlists.emails import price_drop_message
    from wishlists.models import WishlistItem

    with transaction.atomic():
        item = (WishlistItem.objects.select_for_update(of=("self",))
                .select_related("listing", "user").filter(pk=item_id).first())
        if item is None or item.listing.price_per_night >= item.saved_price:
            return False
        price_drop_message(item=item).send()
        WishlistItem.objects.filter(pk=item.pk).update(
            notified_price=item.listing.price_per_night)
    return True


def notify_failing_on_missing(item_id):
    from django.db import transaction

    from wishlists.emails import price_drop_message
    from wishlists.models import WishlistItem

    with transaction.atomic():
        item = (WishlistItem.objects.select_for_update(of=("self",))
                .select_related("listing", "user").get(pk=item_id))
        price = item.listing.price_per_night
        if price >= item.reference_price:
            return False
        price_drop_message(item=item).send()
        WishlistItem.objects.filter(pk=item.pk).update(notified_price=price)
    return True


def notify_recording_before_sending(item_id):
    from wishlists.emails import price_drop_message
    from wishlists.models import WishlistItem

    item = WishlistItem.objects.select_related("listing", "user").filter(pk=item_id).first()
    if item is None or item.listing.price_per_night >= item.reference_price:
        return False
    # "Record first, so a replay can't send twice."
    WishlistItem.objects.filter(pk=item.pk).update(notified_price=item.listing.price_per_night)
    price_drop_message(item=item).send()
    return True


def notify_swallowing_send_errors(item_id):
    from django.db import transaction

    from wishlists.emails import price_drop_message
    from wishlists.models import WishlistItem

    with transaction.atomic():
        item = (WishlistItem.objects.select_for_update(of=("self",))
                .select_related("listing", "user").filter(pk=item_id).first())
        if item is None or item.listing.price_per_night >= item.reference_price:
            return False
        with contextlib.suppress(OSError):  # "mail is best effort"
            price_drop_message(item=item).send()
        WishlistItem.objects.filter(pk=item.pk).update(
            notified_price=item.listing.price_per_night)
    return True


def notify_without_lock(item_id):
    from django.db import transaction

    from wishlists.emails import price_drop_message
    from wishlists.models import WishlistItem

    with transaction.atomic():
        item = WishlistItem.objects.select_related("listing", "user").filter(pk=item_id).first()
        if item is None or item.listing.price_per_night >= item.reference_price:
            return False
        price_drop_message(item=item).send()
        WishlistItem.objects.filter(pk=item.pk).update(
            notified_price=item.listing.price_per_night)
    return True


def save_looking_first(user, listing):
    from django.core.exceptions import ValidationError

    from wishlists.models import WishlistItem

    # Right one call at a time; two at once both find nothing and both insert.
    if not listing.is_active:
        raise ValidationError({"listing": "This listing is not available."})
    existing = WishlistItem.objects.filter(user=user, listing=listing).first()
    if existing is not None:
        return existing, False
    return WishlistItem.objects.create(user=user, listing=listing,
                                       saved_price=listing.price_per_night), True


WRONG_ANSWERS = {
    "13.1": [(save_by_inserting, "look it up first"),
             (save_with_update_or_create, "must not touch saved_price"),
             (save_any_listing, "inactive listing"),
             (save_then_check, "saved before the listing was refused"),
             (save_always_created, "True only when the row was inserted now"),
             (save_value_error, "the API turns it into a 400"),
             (save_looking_first, "Looking first is not enough when two requests race")],
    "13.2": [(notify_against_saved_price_only, "already told"),
             (notify_at_the_same_price, "strictly greater"),
             (notify_in_a_python_loop, "return a queryset"),
             (notify_even_when_inactive, "listing__is_active"),
             (notify_on_a_rise, "saw the price go up, not down"),
             (notify_ids_from_python, "queried the database while building its answer")],
    "13.3": [(notify_without_recording, "record what you told the guest"),
             (notify_against_saved_price, "recorded but not used"),
             (notify_failing_on_missing, "return False instead of failing"),
             (notify_recording_before_sending, "recorded though the email failed"),
             (notify_swallowing_send_errors, "carried on as if it had gone"),
             (notify_without_lock, "lock the item's row")],
}
