"""Lesson 08 — GraphQL with strawberry-graphql-django.

Every check builds a real strawberry schema around the learner's code — with the project's error
handling and the query optimizer, like ``config.schema`` — and executes real GraphQL documents
over the notebook's PostgreSQL, as several users. Execution runs in a worker thread (see
``nexus.count_queries``: a Jupyter kernel's event loop would switch strawberry-django to async
mode), and whatever a check writes happens inside a transaction it rolls back.

The mistakes each check argues against (each has a case, and a wrong answer in
tests/exercises/wrong_answers_08.py):

08.1 make_stay_type — resolvers without optimizer hints (queries grow with the stays); the
     check-out day counted as a night; a plain strawberry type (no model); a resolver missing;
     the type not named "Stay"; nights hinted with only one of the two dates it reads.
08.2 my_bookings — the visibility rule skipped; anonymous callers given an empty list; an unknown
     status answered with an empty list; the status ignored; a host's listings' bookings
     missing; admins seeing only their own.
08.3 deactivate_listing — no role check; the lookup not limited to what the user can see;
     NOT_FOUND where FORBIDDEN is due; no login check; admins refused; the row saved directly
     instead of through listing_update (watched by a spy on the signal only it sends); a
     non-numeric id crashing instead of NOT_FOUND.
"""

# No `from __future__ import annotations` here: strawberry reads the annotations of the
# classes defined inside the checks, and strings naming local classes can't be resolved.
from collections.abc import Callable
from typing import Any

from nexus.exercises.checks.support import in_rollback, new_user, spy
from nexus.exercises.registry import Fail, exercise, lesson
from nexus.queries import count_queries

LESSON = lesson("08", "GraphQL with strawberry-graphql-django")


def _in_rollback_thread(body: Callable[[], Any]) -> Any:
    """Run ``body()`` in a loop-free worker thread, inside a transaction always rolled back."""
    return count_queries(lambda: in_rollback(body))[0]


def _schema(query: type, mutation: type | None = None):
    """A schema with the project's error handling and the optimizer, around ``query``."""
    from strawberry_django.optimizer import DjangoOptimizerExtension

    from config.graphql_errors import ClientErrors
    from config.schema import Schema  # logs only unexpected errors, like /graphql

    return Schema(query=query, mutation=mutation,
                  extensions=[ClientErrors, DjangoOptimizerExtension])


def _execute(schema, document: str, user, variables: dict | None = None) -> dict:
    """Execute ``document`` as ``user`` (None: anonymous); {"data", "errors": [(code, message)]}.

    An error the project wouldn't expect (the learner's own exception, NotImplementedError
    included) is raised again here, so the check reports it as the learner's error.
    """
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory
    from strawberry.django.context import StrawberryDjangoContext

    from config.graphql_errors import client_error

    request = RequestFactory().post("/graphql")
    request.user = user or AnonymousUser()
    result = schema.execute_sync(document, variables or {},
                                 context_value=StrawberryDjangoContext(request, None))
    errors = []
    for error in result.errors or []:
        if client_error(error) is None and error.original_error is not None:
            raise error.original_error
        shown = client_error(error)
        errors.append(((shown.extensions or {}).get("code", "GRAPHQL"), shown.message,
                       (shown.extensions or {}).get("fields")))
    return {"data": result.data, "errors": errors}


# --- 08.1 -----------------------------------------------------------------------------------------
STAYS = "{ stays { id status nights listingTitle } }"


@exercise("08.1", "StayType: a type with resolvers the optimizer understands")
def check_stay_type(make_stay_type) -> None:
    import strawberry
    import strawberry_django

    from bookings.models import Booking

    look = 'lesson 08, "4. The N+1 problem" (the optimizer\'s limits) and bookings/graphql.py'
    stay_type = make_stay_type()
    django_definition = getattr(stay_type, "__strawberry_django_definition__", None)
    definition = getattr(stay_type, "__strawberry_definition__", None)
    if definition is None or getattr(django_definition, "model", None) is not Booking:
        raise Fail(expected="make_stay_type() → a class decorated with "
                            "@strawberry_django.type(Booking, name=\"Stay\")",
                   got=repr(stay_type)[:120],
                   hint="return the class itself, decorated with strawberry_django.type and "
                        "the Booking model, so strawberry-django knows which model it maps.",
                   look=look)
    if definition.name != "Stay":
        raise Fail(expected='the GraphQL type named "Stay"', got=f"named {definition.name!r}",
                   hint="a schema's clients know the type by its GraphQL name, not by the Python "
                        "class: give the decorator the name the task asks for.", look=look)
    names = {field.python_name for field in definition.fields}
    missing = {"id", "status", "nights", "listing_title"} - names
    if missing:
        raise Fail(expected="fields id, status, nights and listing_title",
                   got=f"missing: {', '.join(sorted(missing))}",
                   hint="declare id and status with `auto` (or str), and write nights and "
                        "listing_title as resolvers (methods decorated with "
                        "@strawberry_django.field).", look=look)

    @strawberry.type
    class Query:
        @strawberry_django.field
        def stays(self, limit: int = 40) -> list[stay_type]:
            return Booking.objects.order_by("id")[:limit]

    schema = _schema(Query)

    def run() -> tuple[list, int, int]:
        few = count_queries(lambda: _execute(schema, "{ stays(limit: 2) { nights "
                                                     "listingTitle } }", None))
        many = count_queries(lambda: _execute(schema, STAYS, None))
        return many[0]["data"]["stays"], len(few[1]), len(many[1])

    stays, few, many = _in_rollback_thread(run)
    bookings = {str(b.pk): b for b in Booking.objects.select_related("listing").order_by("id")[:40]}
    for row in stays:
        booking = bookings[row["id"]]
        if row["nights"] != booking.nights:
            raise Fail(expected=f"nights of a stay from {booking.check_in} to "
                                f"{booking.check_out} = {booking.nights}",
                       got=str(row["nights"]),
                       hint="a night is slept between two dates: check-out day is the "
                            "departure, not a night (check_out - check_in, in days).", look=look)
        if row["listingTitle"] != booking.listing.title:
            raise Fail(expected=f"listingTitle = {booking.listing.title!r}",
                       got=repr(row["listingTitle"]),
                       hint="listingTitle is the title of the booking's listing "
                            "(root.listing.title).", look=look)
    if many != few:
        stores = {field.python_name: getattr(field, "store", None) for field in definition.fields}
        nights = stores.get("nights")
        hint = "the optimizer loads only the columns and relations it knows a field needs; a " \
               "resolver is opaque to it. Tell it in the decorator: " \
               "@strawberry_django.field(only=[...]) for the columns nights reads, " \
               "select_related=[...] for the listing whose title you return."
        if nights and nights.only and not {"check_in", "check_out"} <= set(nights.only):
            hint = f"nights reads two columns but declares only {sorted(nights.only)}: the " \
                   "optimizer defers the other, and Django fetches it one stay at a time."
        raise Fail(expected="the same number of SQL queries for 2 stays and for 40",
                   got=f"{few} queries for 2 stays, {many} for 40", hint=hint, look=look)


# --- 08.2 -----------------------------------------------------------------------------------------
MY_BOOKINGS = "query Mine($status: String) { myBookings(status: $status) { id } }"


def _my_bookings_schema(my_bookings):
    import strawberry
    import strawberry_django
    from strawberry.types import Info

    from bookings.graphql import BookingType

    @strawberry.type
    class Query:
        @strawberry_django.field
        def my_bookings(self, info: Info, status: str | None = None) -> list[BookingType]:
            return my_bookings(info, status)

    return _schema(Query)


@exercise("08.2", "myBookings(status): a filtered query with the REST rules")
def check_my_bookings(my_bookings) -> None:
    from django.db.models import Q

    from accounts.models import Role, User
    from bookings.models import Booking, BookingStatus

    look = 'lesson 08, "The same credentials as REST"; bookings/selectors.py'
    schema = _my_bookings_schema(my_bookings)
    guest = User.objects.filter(role=Role.GUEST, bookings__status=BookingStatus.COMPLETED) \
        .order_by("username").first()
    host = User.objects.filter(role=Role.HOST, listings__bookings__isnull=False) \
        .order_by("username").first()

    def truth(user, status=None) -> list[str]:
        rows = Booking.objects.all() if user.is_admin else \
            Booking.objects.filter(Q(guest=user) | Q(listing__host=user))
        if status:
            rows = rows.filter(status=status)
        return sorted(str(pk) for pk in rows.values_list("pk", flat=True))

    def run() -> dict:
        admin = new_user("check08-list-admin", Role.ADMIN)
        users["an admin"] = admin
        seen = {}
        for who, user, status in (("a guest", guest, None), ("a guest", guest, "completed"),
                                  ("a host", host, "confirmed"), ("anonymous", None, None),
                                  ("a guest", guest, "paid"), ("an admin", admin, "pending")):
            seen[who, status] = _execute(schema, MY_BOOKINGS, user, {"status": status})
        seen["truth"] = truth(admin, "pending")
        return seen

    users: dict = {}
    seen = _in_rollback_thread(run)
    anonymous = seen["anonymous", None]
    if not anonymous["errors"] or anonymous["errors"][0][0] != "UNAUTHENTICATED":
        raise Fail(expected="anonymous → an UNAUTHENTICATED error (REST's 401)",
                   got=f"data {anonymous['data']}" if not anonymous["errors"]
                   else f"{anonymous['errors'][0][:2]}",
                   hint="an empty list tells an anonymous client 'you have no bookings', which "
                        "is not true: call require_user(info) (config/graphql_errors.py) first.",
                   look=look)
    unknown = seen["a guest", "paid"]
    if not unknown["errors"] or unknown["errors"][0][0] != "BAD_USER_INPUT" \
            or "status" not in (unknown["errors"][0][2] or {}):
        raise Fail(expected='status "paid" → a BAD_USER_INPUT error with a message for the '
                            "status field",
                   got=f"data {unknown['data']}" if not unknown["errors"]
                   else f"{unknown['errors'][0][:2]}",
                   hint="'paid' is not a booking status: an empty list would hide the client's "
                        "typo. Check it against BookingStatus.values and raise "
                        "ValidationError({'status': ...}).", look=look)
    for (who, status), user in ((("a guest", None), guest), (("a guest", "completed"), guest),
                                (("a host", "confirmed"), host),
                                (("an admin", "pending"), users["an admin"])):
        answer = seen[who, status]
        if answer["errors"]:
            raise Fail(expected=f"{who}, status {status!r}: a list", got=str(answer["errors"][0]),
                       hint="a known status (or none) is valid input.", look=look)
        ids = sorted(row["id"] for row in answer["data"]["myBookings"])
        want = seen["truth"] if who == "an admin" else truth(user, status)
        if ids == want:
            continue
        extra, missing = set(ids) - set(want), set(want) - set(ids)
        if extra and status and all(Booking.objects.get(pk=pk).status == status for pk in extra):
            hint = "someone sees bookings that aren't theirs: start from the bookings the user " \
                   "may see (booking_list_visible_to), then filter by status."
        elif extra and status:
            hint = "the status argument is ignored: filter the queryset by it when it is given."
        elif extra:
            hint = "someone sees bookings that aren't theirs: start from booking_list_visible_to."
        elif who == "a host":
            hint = "a host also sees the bookings at their listings — the REST rule; " \
                   "booking_list_visible_to already knows it."
        elif who == "an admin":
            hint = "an admin sees every booking (user.is_admin), as in the REST API: the " \
                   "project's selector already knows the whole rule."
        else:
            hint = "some of the user's bookings are missing: compare your filter with the rule."
        raise Fail(expected=f"{who}, status {status!r}: {len(want)} bookings",
                   got=f"{len(ids)} ({len(extra)} not theirs or not {status}, "
                       f"{len(missing)} missing)", hint=hint, look=look)


# --- 08.3 -----------------------------------------------------------------------------------------
DEACTIVATE = "mutation Off($id: ID!) { deactivateListing(id: $id) { id } }"


def _deactivate_schema(deactivate_listing):
    import strawberry
    import strawberry_django
    from strawberry.types import Info

    from bookings.graphql import ListingQueries
    from listings.models import Listing

    @strawberry_django.type(Listing, name="DeactivatedListing")
    class DeactivatedListing:
        id: strawberry.auto
        is_active: strawberry.auto

    @strawberry.type
    class Mutation:
        @strawberry_django.mutation
        def deactivate_listing(self, info: Info, id: strawberry.ID) -> DeactivatedListing:
            return deactivate_listing(info, id)

    return _schema(ListingQueries, Mutation)


@exercise("08.3", "deactivateListing: a permission-checked mutation")
def check_deactivate_listing(deactivate_listing) -> None:
    from accounts.models import Role
    from listings.models import Listing

    look = 'lesson 08, "3. Mutations"; listings/permissions.py and lesson 04\'s 401/403/404'
    schema = _deactivate_schema(deactivate_listing)

    def run() -> dict:
        host = new_user("check08-host", Role.HOST)
        other_host = new_user("check08-other-host", Role.HOST)
        admin = new_user("check08-admin", Role.ADMIN)
        guest = new_user("check08-guest", Role.GUEST)
        made = {}
        for name, owner, active in (("active", host, True), ("inactive", host, False),
                                    ("for_admin", host, True), ("for_self", host, True)):
            made[name] = Listing.objects.create(
                host=owner, title=f"Check 08 {name}", city="gondar", address="Piazza",
                price_per_night=1000, max_guests=2, is_active=active)
        cases = {
            "anonymous": (None, "active"),
            "a guest": (guest, "active"),
            "another host, an active listing": (other_host, "active"),
            "another host, an inactive listing": (other_host, "inactive"),
            "an id that doesn't exist": (host, None),
            "an id that isn't a number": (host, "abc"),
            "a guest, an inactive listing": (guest, "inactive"),
            "an admin": (admin, "for_admin"),
            "its host": (host, "for_self"),
        }
        seen = {}
        for who, (user, name) in cases.items():
            listing_id = str(made[name].pk) if name in made else name or "99999999"
            before = len(serviced)
            try:
                seen[who] = _execute(schema, DEACTIVATE, user, {"id": listing_id})
            except Exception as exc:  # the learner's own error: judged below
                seen[who] = {"errors": [("RAISED", f"{type(exc).__name__}: {exc}", None)],
                             "raised": exc}
            seen[who]["serviced"] = len(serviced) > before
            if name in made:
                seen[who]["changed"] = made[name].is_active != \
                    Listing.objects.get(pk=made[name].pk).is_active
        return seen

    from listings.signals import listing_updated

    # listing_update announces every change it saves with this signal, and nothing else sends
    # it: it shows whether a change went through the service the task names.
    with spy(listing_updated, "send") as serviced:
        seen = _in_rollback_thread(run)
    expected = {
        "anonymous": ("UNAUTHENTICATED", "anyone must log in first: require_user(info) before "
                      "anything else (REST: 401)."),
        "a guest": ("FORBIDDEN", "only hosts (and admins) manage listings: a guest is refused by "
                    "role — PermissionDenied (REST: 403), before any lookup."),
        "a guest, an inactive listing": ("FORBIDDEN", "only hosts (and admins) manage listings: "
                                         "a guest is refused by role — PermissionDenied, "
                                         "before looking the listing up."),
        "another host, an active listing": ("FORBIDDEN", "another host's active listing is "
                                            "public — they can see it, so it is 'forbidden', not "
                                            "'not found': PermissionDenied (REST: 403)."),
        "another host, an inactive listing": ("NOT_FOUND", "another host's inactive listing is "
                                              "invisible to them: look the id up among "
                                              "listing_list_visible_to(user=...) and raise "
                                              "Listing.DoesNotExist (REST: 404)."),
        "an id that doesn't exist": ("NOT_FOUND", "a missing id is Listing.DoesNotExist."),
        "an id that isn't a number": ("NOT_FOUND", "an id that isn't a number is a wrong id "
                                      "too: NOT_FOUND, not a crash of int()."),
        "an admin": (None, "admins may change every listing (user.is_admin)."),
        "its host": (None, "the listing's own host must be able to deactivate it."),
    }
    for who, (code, hint) in expected.items():
        answer = seen[who]
        if "raised" in answer and who != "an id that isn't a number":
            raise answer["raised"]
        got_code = answer["errors"][0][0] if answer["errors"] else None
        if got_code != code:
            raise Fail(expected=f"{who} → {code or 'the listing, deactivated'}",
                       got=f"{got_code}: {answer['errors'][0][1]}" if answer["errors"]
                       else "the listing, deactivated", hint=hint, look=look)
        if code is None and not answer.get("changed"):
            raise Fail(expected=f"{who} → is_active false in the database",
                       got="still active",
                       hint="change the listing through the service: "
                            "listing_update(listing=..., data={'is_active': False}).", look=look)
        if code is None and not answer["serviced"]:
            raise Fail(expected=f"{who} → the listing changed by listings.services.listing_update",
                       got="deactivated, but not through the service",
                       hint="a write that bypasses the service skips what it does besides "
                            "saving (validation, the wishlist emails of lesson 13): call "
                            "listing_update, never .save() or .update() in a resolver.",
                       look=look)
        if code is not None and answer.get("changed"):
            raise Fail(expected=f"{who} → refused, and the listing still active",
                       got="refused, but the listing was deactivated anyway",
                       hint="check every permission before calling the service.", look=look)
