"""Plausible wrong answers to the exercises of lesson 08, each with the hint its check must give.

``WRONG_ANSWERS`` maps an exercise id to ``[(wrong answer, a phrase of the hint meant for it)]``.
A check that accepts one of these, or rejects it with another hint, is a defect. ``probe.py`` runs
them in a fresh process where ``nexus.start`` has set Django up.
"""

# No `from __future__ import annotations`: strawberry must read these classes' annotations.


# --- 08.1 make_stay_type -------------------------------------------------------------------------
def stay_type_no_optimizer_hints():
    """Right values, but the resolvers don't say what they read: N+1 on the listing."""
    import strawberry_django
    from strawberry import auto

    from bookings.models import Booking

    @strawberry_django.type(Booking, name="Stay")
    class StayType:
        id: auto
        status: str

        @strawberry_django.field
        def nights(self, root: Booking) -> int:
            return (root.check_out - root.check_in).days

        @strawberry_django.field
        def listing_title(self, root: Booking) -> str:
            return root.listing.title

    return StayType


def stay_type_counts_checkout_day():
    import strawberry_django
    from strawberry import auto

    from bookings.models import Booking

    @strawberry_django.type(Booking, name="Stay")
    class StayType:
        id: auto
        status: str

        @strawberry_django.field(only=["check_in", "check_out"])
        def nights(self, root: Booking) -> int:
            return (root.check_out - root.check_in).days + 1

        @strawberry_django.field(select_related=["listing"], only=["listing__title"])
        def listing_title(self, root: Booking) -> str:
            return root.listing.title

    return StayType


def stay_type_plain_strawberry():
    """A strawberry type without the Django model: the check can't tell which model it maps."""
    import strawberry

    @strawberry.type(name="Stay")
    class StayType:
        id: strawberry.ID
        status: str

    return StayType


def stay_type_missing_resolver():
    import strawberry_django
    from strawberry import auto

    from bookings.models import Booking

    @strawberry_django.type(Booking, name="Stay")
    class StayType:
        id: auto
        status: str

        @strawberry_django.field(only=["check_in", "check_out"])
        def nights(self, root: Booking) -> int:
            return (root.check_out - root.check_in).days

    return StayType


def stay_type_unnamed():
    import strawberry_django
    from strawberry import auto

    from bookings.models import Booking

    @strawberry_django.type(Booking)  # GraphQL calls it "StayType"
    class StayType:
        id: auto
        status: str

        @strawberry_django.field(only=["check_in", "check_out"])
        def nights(self, root: Booking) -> int:
            return (root.check_out - root.check_in).days

        @strawberry_django.field(select_related=["listing"], only=["listing__title"])
        def listing_title(self, root: Booking) -> str:
            return root.listing.title

    return StayType


def stay_type_only_check_in():
    import strawberry_django
    from strawberry import auto

    from bookings.models import Booking

    @strawberry_django.type(Booking, name="Stay")
    class StayType:
        id: auto
        status: str

        @strawberry_django.field(only=["check_in"])
        def nights(self, root: Booking) -> int:
            return (root.check_out - root.check_in).days

        @strawberry_django.field(select_related=["listing"], only=["listing__title"])
        def listing_title(self, root: Booking) -> str:
            return root.listing.title

    return StayType


# --- 08.2 my_bookings ----------------------------------------------------------------------------
def bookings_all_of_status(info, status=None):
    """Filters by status, but from every booking in the database."""
    from bookings.models import Booking
    from config.graphql_errors import require_user

    require_user(info)
    bookings = Booking.objects.all()
    if status is not None:
        from django.core.exceptions import ValidationError

        from bookings.models import BookingStatus

        if status not in BookingStatus.values:
            raise ValidationError({"status": "Unknown status."})
        bookings = bookings.filter(status=status)
    return bookings


def bookings_empty_for_anonymous(info, status=None):
    """No login check: the selector gives anonymous users an empty list."""
    from django.core.exceptions import ValidationError

    from bookings.models import BookingStatus
    from bookings.selectors import booking_list_visible_to

    bookings = booking_list_visible_to(user=info.context.request.user)
    if status is None:
        return bookings
    if status not in BookingStatus.values:
        raise ValidationError({"status": "Unknown status."})
    return bookings.filter(status=status)


def bookings_unknown_status_empty(info, status=None):
    """An unknown status silently matches nothing."""
    from bookings.selectors import booking_list_visible_to
    from config.graphql_errors import require_user

    bookings = booking_list_visible_to(user=require_user(info))
    return bookings.filter(status=status) if status else bookings


def bookings_status_ignored(info, status=None):
    from django.core.exceptions import ValidationError

    from bookings.models import BookingStatus
    from bookings.selectors import booking_list_visible_to
    from config.graphql_errors import require_user

    bookings = booking_list_visible_to(user=require_user(info))
    if status is not None and status not in BookingStatus.values:
        raise ValidationError({"status": "Unknown status."})
    return bookings


def bookings_guest_only(info, status=None):
    """Only the caller's own stays: a host doesn't see the bookings at their listings."""
    from django.core.exceptions import ValidationError

    from bookings.models import Booking, BookingStatus
    from config.graphql_errors import require_user

    bookings = Booking.objects.filter(guest=require_user(info))
    if status is None:
        return bookings
    if status not in BookingStatus.values:
        raise ValidationError({"status": "Unknown status."})
    return bookings.filter(status=status)


def bookings_no_admin(info, status=None):
    """The guest-or-host rule written by hand: admins see only their own."""
    from django.core.exceptions import ValidationError
    from django.db.models import Q

    from bookings.models import Booking, BookingStatus
    from config.graphql_errors import require_user

    user = require_user(info)
    bookings = Booking.objects.filter(Q(guest=user) | Q(listing__host=user))
    if status is None:
        return bookings
    if status not in BookingStatus.values:
        raise ValidationError({"status": "Unknown status."})
    return bookings.filter(status=status)


# --- 08.3 deactivate_listing ---------------------------------------------------------------------
def _lookup(user, listing_id, *, visible=True):
    from listings.models import Listing
    from listings.selectors import listing_list_visible_to

    listings = listing_list_visible_to(user=user) if visible else Listing.objects.all()
    listing = listings.filter(pk=int(listing_id)).first() if str(listing_id).isdigit() else None
    if listing is None:
        raise Listing.DoesNotExist("No Listing matches the given query.")
    return listing


def deactivate_no_role_check(info, id):
    """Ownership only: a guest gets 'not found' for listings they can see, or worse."""
    from django.core.exceptions import PermissionDenied

    from config.graphql_errors import require_user
    from listings.services import listing_update

    user = require_user(info)
    listing = _lookup(user, id)
    if listing.host_id != user.pk and not user.is_admin:
        raise PermissionDenied("You can change only your own listings.")
    return listing_update(listing=listing, data={"is_active": False})


def deactivate_unfiltered_lookup(info, id):
    """Looks the id up among all listings: another host's inactive listing becomes 403."""
    from django.core.exceptions import PermissionDenied

    from config.graphql_errors import require_user
    from listings.services import listing_update

    user = require_user(info)
    if not (user.is_host or user.is_admin):
        raise PermissionDenied("Only hosts can publish or change listings.")
    listing = _lookup(user, id, visible=False)
    if listing.host_id != user.pk and not user.is_admin:
        raise PermissionDenied("You can change only your own listings.")
    return listing_update(listing=listing, data={"is_active": False})


def deactivate_not_found_for_others(info, id):
    """Someone else's visible listing reported as not found instead of forbidden."""
    from django.core.exceptions import PermissionDenied

    from config.graphql_errors import require_user
    from listings.models import Listing
    from listings.services import listing_update

    user = require_user(info)
    if not (user.is_host or user.is_admin):
        raise PermissionDenied("Only hosts can publish or change listings.")
    listing = _lookup(user, id)
    if listing.host_id != user.pk and not user.is_admin:
        raise Listing.DoesNotExist("No Listing matches the given query.")
    return listing_update(listing=listing, data={"is_active": False})


def deactivate_no_login_check(info, id):
    """No login check: an anonymous visitor is refused by role instead of asked to log in."""
    from django.core.exceptions import PermissionDenied

    from listings.services import listing_update

    user = info.context.request.user
    if not user.is_authenticated or not (user.is_host or user.is_admin):
        raise PermissionDenied("Only hosts can publish or change listings.")
    listing = _lookup(user, id)
    if listing.host_id != user.pk and not user.is_admin:
        raise PermissionDenied("You can change only your own listings.")
    return listing_update(listing=listing, data={"is_active": False})


def deactivate_no_admin(info, id):
    from django.core.exceptions import PermissionDenied

    from config.graphql_errors import require_user
    from listings.services import listing_update

    user = require_user(info)
    if not user.is_host:
        raise PermissionDenied("Only hosts can publish or change listings.")
    listing = _lookup(user, id)
    if listing.host_id != user.pk:
        raise PermissionDenied("You can change only your own listings.")
    return listing_update(listing=listing, data={"is_active": False})


def deactivate_with_save(info, id):
    from django.core.exceptions import PermissionDenied

    from config.graphql_errors import require_user

    user = require_user(info)
    if not (user.is_host or user.is_admin):
        raise PermissionDenied("Only hosts can publish or change listings.")
    listing = _lookup(user, id)
    if listing.host_id != user.pk and not user.is_admin:
        raise PermissionDenied("You can change only your own listings.")
    listing.is_active = False
    listing.save()
    return listing


def deactivate_int_id(info, id):
    from django.core.exceptions import PermissionDenied

    from config.graphql_errors import require_user
    from listings.models import Listing
    from listings.selectors import listing_list_visible_to
    from listings.services import listing_update

    user = require_user(info)
    if not (user.is_host or user.is_admin):
        raise PermissionDenied("Only hosts can publish or change listings.")
    listing = listing_list_visible_to(user=user).filter(pk=int(id)).first()
    if listing is None:
        raise Listing.DoesNotExist("No Listing matches the given query.")
    if listing.host_id != user.pk and not user.is_admin:
        raise PermissionDenied("You can change only your own listings.")
    return listing_update(listing=listing, data={"is_active": False})


#: exercise id → (wrong answer, a phrase of the hint meant for it)
WRONG_ANSWERS = {
    "08.1": [(stay_type_no_optimizer_hints, "a resolver is opaque to it"),
             (stay_type_counts_checkout_day, "check-out day is the departure"),
             (stay_type_plain_strawberry, "decorated with strawberry_django.type"),
             (stay_type_missing_resolver, "write nights and listing_title as resolvers"),
             (stay_type_unnamed, "by its GraphQL name"),
             (stay_type_only_check_in, "nights reads two columns")],
    "08.2": [(bookings_all_of_status, "booking_list_visible_to"),
             (bookings_empty_for_anonymous, "call require_user(info)"),
             (bookings_unknown_status_empty, "BookingStatus.values"),
             (bookings_status_ignored, "the status argument is ignored"),
             (bookings_guest_only, "a host also sees the bookings at their listings"),
             (bookings_no_admin, "an admin sees every booking")],
    "08.3": [(deactivate_no_role_check, "a guest is refused by role"),
             (deactivate_unfiltered_lookup, "invisible to them"),
             (deactivate_not_found_for_others, "they can see it, so it is 'forbidden'"),
             (deactivate_no_login_check, "anyone must log in first"),
             (deactivate_no_admin, "admins may change every listing"),
             (deactivate_with_save, "a write that bypasses the service"),
             (deactivate_int_id, "an id that isn't a number is a wrong id")],
}
