"""accounts.services.user_delete, called directly.

Its endpoint, POST /api/auth/me/delete/, is tests/api/test_account_delete_api.py.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from accounts.services import AccountHasRecordsError, user_delete
from testsupport.factories import TEST_PASSWORD, BookingFactory, ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_deletes_the_user_and_blacklists_only_their_refresh_tokens():
    leaving, staying = UserFactory(), UserFactory()
    for user in (leaving, leaving, staying):
        RefreshToken.for_user(user)
    user_delete(user=leaving, password=TEST_PASSWORD)
    assert list(User.objects.all()) == [staying]
    # OutstandingToken.user is SET_NULL: the records stay, the leaver's blacklisted.
    assert BlacklistedToken.objects.count() == 2
    assert not BlacklistedToken.objects.filter(token__user=staying).exists()
    assert OutstandingToken.objects.filter(user__isnull=True).count() == 2


def test_a_wrong_password_changes_nothing():
    user = UserFactory()
    RefreshToken.for_user(user)
    with pytest.raises(ValidationError) as refused:
        user_delete(user=user, password="wrong")
    assert refused.value.message_dict == {"password": ["Wrong password."]}
    assert User.objects.filter(pk=user.pk).exists() and not BlacklistedToken.objects.exists()


def test_protected_records_name_what_keeps_the_account():
    host = ListingFactory().host
    BookingFactory(guest=host)  # a host who also travels
    with pytest.raises(AccountHasRecordsError) as refused:
        user_delete(user=host, password=TEST_PASSWORD)
    assert refused.value.code == "account_has_records"
    assert "has bookings and listings" in refused.value.messages[0]
    assert User.objects.filter(pk=host.pk).exists()
