"""Who may do what in the API: role × endpoint × method → expected HTTP status.

The API's access rules written down as data: the single source of truth for the permission
tests (tests/api/test_permission_matrix.py runs every cell) and for the table lesson 04 shows
(``as_markdown()``). Plain tuples, imported by nothing the project serves.

The cast, set up fresh for every cell:

* ``guest`` booked ``{listing}`` (``{booking}``, upcoming) and stayed there before
  (``{completed_booking}``, not reviewed yet); ``other_guest`` has no bookings.
* ``host`` owns ``{listing}``, ``{spare_listing}`` (never booked) and
  ``{inactive_listing}``; ``other_host`` owns nothing.
* ``admin`` has the admin role (not is_staff). ``anonymous`` sends no credentials.
* For ``MESSAGING_MATRIX`` only: ``guest`` wrote to ``host`` about ``{booking}``
  (``{thread}``, whose first message is ``{message}``), and ``host`` answered it.

Reading the statuses: 401 = log in first; 403 = logged in, and allowed to see it, but
not to do that; 404 = not yours to see (answered like a missing id); 400/409 = allowed,
but the request itself breaks a rule (you can't book your own listing; a listing with
bookings can't be deleted).

Two tables, one rule set: ``MATRIX`` is what lesson 04 runs against its own cast and objects;
``MESSAGING_MATRIX`` needs a conversation, which that lesson's world doesn't build. The tests
run both (``cases()``). Not in either: ``POST /api/auth/me/delete/``, which would delete the
cast member who calls it (tests/api/test_account_delete_api.py covers it).
"""

from typing import NamedTuple

ROLES = ("anonymous", "guest", "other_guest", "host", "other_host", "admin")


class Rule(NamedTuple):
    """One endpoint and method, and the status each role gets."""

    method: str
    path: str
    body: str | None  # name of a request body built by the test (see BODIES there)
    anonymous: int
    guest: int
    other_guest: int
    host: int
    other_host: int
    admin: int

    def expected(self, role: str) -> int:
        return getattr(self, role)


MATRIX: tuple[Rule, ...] = (
    # Status columns in ROLES order: anonymous, guest, other_guest, host, other_host, admin.
    #    method    path                                 body       anon gst  ogst host ohst adm
    # --- listings: anyone reads; hosts write their own; admins everything ------------------------
    Rule("GET",    "/api/listings/",                    None,      200, 200, 200, 200, 200, 200),
    Rule("POST",   "/api/listings/",                    "listing", 401, 403, 403, 201, 201, 201),
    Rule("GET",    "/api/listings/{listing}/",          None,      200, 200, 200, 200, 200, 200),
    Rule("PATCH",  "/api/listings/{listing}/",          "patch",   401, 403, 403, 200, 403, 200),
    Rule("PUT",    "/api/listings/{spare_listing}/",    "put",     401, 403, 403, 200, 403, 200),
    Rule("DELETE", "/api/listings/{spare_listing}/",    None,      401, 403, 403, 204, 403, 204),
    # Booked listings are kept for the records: allowed, but refused by the rule (409).
    Rule("DELETE", "/api/listings/{listing}/",          None,      401, 403, 403, 409, 403, 409),
    # Inactive: only its host and admins can see it, so other hosts get 404, not 403.
    # Guests get 403 before any lookup: their role can't write listings at all.
    Rule("GET",    "/api/listings/{inactive_listing}/", None,      404, 404, 404, 200, 404, 200),
    Rule("PATCH",  "/api/listings/{inactive_listing}/", "patch",   401, 403, 403, 200, 404, 200),
    Rule("GET",    "/api/listings/{listing}/reviews/",  None,      200, 200, 200, 200, 200, 200),
    # --- bookings: guests their own; hosts also those at their listings; admins all --------------
    Rule("GET",    "/api/bookings/",                    None,      401, 200, 200, 200, 200, 200),
    # The host may not book their own listing: a 400 from the service, not a permission.
    Rule("POST",   "/api/bookings/",                    "booking", 401, 201, 201, 400, 201, 201),
    Rule("GET",    "/api/bookings/{booking}/",          None,      401, 200, 404, 200, 404, 200),
    # The host sees the booking (200 above) but may not cancel it: the 403 of the API.
    Rule("POST",   "/api/bookings/{booking}/cancel/",   None,      401, 200, 404, 403, 404, 200),
    # --- reviews: only the guest who stayed ------------------------------------------------------
    # A booking you can't see is an unknown id (400); one you can see but didn't stay is 403.
    Rule("POST",   "/api/reviews/",                     "review",  401, 201, 400, 403, 400, 403),
    # --- auth ------------------------------------------------------------------------------------
    Rule("GET",    "/api/auth/me/",                     None,      401, 200, 200, 200, 200, 200),
)  # fmt: skip

MESSAGING_MATRIX: tuple[Rule, ...] = (
    # Participants only: the other participant may read, only the sender may edit; anyone else,
    # admins included, gets 404 (private correspondence), or 400 for an id in a request body.
    #    method    path                                 body       anon gst  ogst host ohst adm
    Rule("GET",    "/api/threads/",                     None,      401, 200, 200, 200, 200, 200),
    Rule("GET",    "/api/threads/{thread}/",            None,      401, 200, 404, 200, 404, 404),
    Rule("POST",   "/api/threads/{thread}/read/",       None,      401, 200, 404, 200, 404, 404),
    # About a booking: its guest and host; an admin sees the booking but is no party (403).
    Rule("POST",   "/api/messages/",                    "message", 401, 201, 400, 201, 400, 403),
    Rule("PATCH",  "/api/messages/{message}/",          "edit",    401, 200, 404, 403, 404, 404),
    Rule("GET",    "/api/messages/{message}/history/",  None,      401, 200, 404, 200, 404, 404),
    Rule("GET",    "/api/messages/unread/",             None,      401, 200, 200, 200, 200, 200),
    Rule("GET",    "/api/messages/unread-count/",       None,      401, 200, 200, 200, 200, 200),
    Rule("GET",    "/api/notifications/",               None,      401, 200, 200, 200, 200, 200),
)  # fmt: skip

#: Every rule, in the order the tests run them.
RULES: tuple[Rule, ...] = MATRIX + MESSAGING_MATRIX


def cases() -> list[tuple[Rule, str, int]]:
    """Every cell of both tables as (rule, role, expected status)."""
    return [(rule, role, rule.expected(role)) for rule in RULES for role in ROLES]


def as_markdown(rules: tuple[Rule, ...] = MATRIX) -> str:
    """A table of rules (lesson 04's by default) in Markdown, one row per endpoint and method."""
    header = ["method", "path", *ROLES]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for rule in rules:
        statuses = [str(rule.expected(role)) for role in ROLES]
        lines.append("| " + " | ".join([rule.method, f"`{rule.path}`", *statuses]) + " |")
    return "\n".join(lines)
