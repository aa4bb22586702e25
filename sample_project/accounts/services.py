"""Writes for accounts (HackSoft style: every state change goes through a service)."""

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from accounts.models import User
from config.exceptions import ConflictError


class AccountHasRecordsError(ConflictError):
    """Bookings or listings point to the account (``on_delete=PROTECT``): it can't be deleted."""


def user_delete(*, user: User, password: str) -> None:
    """Delete ``user``'s account, once they have confirmed it with their password.

    Raises ValidationError (400) for a wrong password, and ``AccountHasRecordsError`` (409)
    when the account has bookings or listings: those are the business's records
    (``Booking.guest`` and ``Listing.host`` are ``on_delete=PROTECT``), so Django refuses the
    delete before it removes a row (``ProtectedError``).

    What goes with the account is decided by the foreign keys to it, not here: CASCADE deletes
    its DRF token, reviews, wishlist, messages and notifications, in the same transaction. Two
    things name the user without such a key, and need a hand:

    - its **JWTs**, in clients' hands. An access token stops working at once (the
      authentication looks its user up and finds none: 401), but simplejwt 5.5's refresh view
      looks the user up with ``.get()`` and answers a deleted user's refresh token with a 500
      (jazzband/djangorestframework-simplejwt#860). Blacklisting every refresh token issued to
      the user first makes a refresh answer 401 "Token is blacklisted", checked before that
      lookup. (``OutstandingToken.user`` is SET_NULL: the records of the tokens stay.)
    - data other apps keep outside the database, which they clean up in their own
      ``post_delete`` receivers for the user (``messaging/signals.py``).
    """
    if not user.check_password(password):
        raise ValidationError({"password": "Wrong password."})
    try:
        with transaction.atomic():
            _revoke_refresh_tokens(user)
            user.delete()
    except ProtectedError as exc:
        kept = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
        raise AccountHasRecordsError(
            f"This account has {' and '.join(kept)}, which are kept as the business's records, "
            "so it can't be deleted.",
            code="account_has_records",
        ) from exc


def _revoke_refresh_tokens(user: User) -> None:
    """Blacklist every refresh token issued to ``user`` that isn't blacklisted yet.

    simplejwt keeps its list of issued tokens only with its ``token_blacklist`` app installed
    (as in this project's settings); without it there is nothing to look up or revoke, and its
    models can't even be imported.
    """
    if not apps.is_installed("rest_framework_simplejwt.token_blacklist"):
        return
    from rest_framework_simplejwt.token_blacklist.models import (
        BlacklistedToken,
        OutstandingToken,
    )

    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in outstanding])
