"""Every cell of permission_matrix's tables, over the real authentication stack (JWT)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from bookings.models import BookingStatus
from config.permission_matrix import ROLES, RULES, cases
from messaging.services import message_reply, thread_start
from testsupport.factories import BookingFactory, HostFactory, ListingFactory, UserFactory

pytestmark = pytest.mark.django_db

LISTING_BODY = {
    "title": "Quiet room in Gondar",
    "description": "Near the castles.",
    "city": "gondar",
    "address": "Piazza, Gondar",
    "price_per_night": "1200.00",
    "max_guests": 2,
    "bedrooms": 1,
}


@pytest.fixture
def world():
    """The cast and objects the matrix's paths refer to (see permission_matrix's docstring)."""
    today = timezone.localdate()
    users = {
        "anonymous": None,
        "guest": UserFactory(username="guest"),
        "other_guest": UserFactory(username="other_guest"),
        "host": HostFactory(username="host"),
        "other_host": HostFactory(username="other_host"),
        "admin": UserFactory(username="admin", role=Role.ADMIN),
    }
    listing = ListingFactory(host=users["host"])
    objects = {
        "listing": listing,
        "spare_listing": ListingFactory(host=users["host"]),
        "inactive_listing": ListingFactory(host=users["host"], is_active=False),
        "booking": BookingFactory(
            listing=listing, guest=users["guest"], status=BookingStatus.PENDING,
            check_in=today + timedelta(days=60), check_out=today + timedelta(days=63),
        ),
        "completed_booking": BookingFactory(
            listing=listing, guest=users["guest"], status=BookingStatus.COMPLETED,
            check_in=today - timedelta(days=30), check_out=today - timedelta(days=27),
        ),
    }  # fmt: skip
    # MESSAGING_MATRIX's conversation: the guest asks about their booking, the host answers.
    objects["thread"] = objects["message"] = thread_start(
        sender=users["guest"], booking=objects["booking"], content="Can we arrive early?")
    message_reply(sender=users["host"], parent=objects["thread"], content="Yes, from 10.")
    bodies = {
        "listing": LISTING_BODY,
        "put": {**LISTING_BODY, "title": "Renamed room in Gondar"},
        "patch": {"price_per_night": "2000.00"},
        # Other nights than {booking}'s, so only the rules under test can refuse it.
        "booking": {
            "listing": listing.id,
            "check_in": str(today + timedelta(days=30)),
            "check_out": str(today + timedelta(days=33)),
            "guests": 2,
        },
        "review": {"booking": objects["completed_booking"].id, "rating": 5},
        "message": {"booking": objects["booking"].id, "content": "Is there parking?"},
        "edit": {"content": "Can we arrive early, around 10?"},
    }
    ids = {name: obj.id for name, obj in objects.items()}
    return users, ids, bodies


def test_the_matrix_covers_every_role_for_every_rule():
    assert len(cases()) == len(RULES) * len(ROLES)
    assert len({(rule.method, rule.path) for rule in RULES}) == len(RULES)


@pytest.mark.parametrize(
    ("rule", "role", "expected"),
    cases(),
    ids=[f"{rule.method} {rule.path} as {role}" for rule, role, _ in cases()],
)
def test_permission_matrix(world, client_for, rule, role, expected):
    users, ids, bodies = world
    client = client_for(users[role])
    body = bodies[rule.body] if rule.body else None

    response = client.generic(
        rule.method,
        rule.path.format(**ids),
        data="" if body is None else json.dumps(body),
        content_type="application/json",
    )

    assert response.status_code == expected, response.content.decode()[:500]
    if response.status_code != 204:
        assert response["Content-Type"] == "application/json"
