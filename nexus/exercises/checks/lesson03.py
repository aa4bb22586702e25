"""Lesson 03 — REST APIs with DRF and OpenAPI.

Every check runs the learner's class or function the way DRF would: a serializer with real input,
a FilterSet behind a real view (``APIRequestFactory``) over the notebook's PostgreSQL, an
exception handler plugged into a view that calls the project's real booking service. Checks that
write do so inside a transaction they roll back, so a check can be run again and again.

The mistakes each check argues against (each has a case, and a wrong answer in
tests/exercises/wrong_answers_03.py):

03.1 BookingRequestSerializer — 0 guests allowed; a same-day stay allowed; the date error under
     non_field_errors, or under check_in; validate() or validate_guests() returning nothing.
     Party sizes and stay lengths are varied (hypothesis), with dates relative to today.
03.2 ListingPriceFilter — the limit exclusive; the queryset returned unfiltered; the wrong lookup
     (at least); the limit cut to whole birr; Listing.objects instead of the queryset given (the
     view's inactive listings come back); a filter that re-orders.
03.3 api_exception_handler — the ValidationError branch first (a conflict becomes a 400); Django's
     ValidationError left to DRF (a 500); no machine-readable code; one string instead of a list
     per field; no fallback to DRF's handler.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from nexus.build.run import build_step
from nexus.exercises.checks.support import Rollback, for_all, in_rollback, seeded_user, short
from nexus.exercises.registry import Fail, exercise, lesson

LESSON = lesson("03", "REST APIs with DRF and OpenAPI")


# --- 03.1 -----------------------------------------------------------------------------------------
@exercise("03.1", "BookingRequestSerializer: validation with field errors")
def check_booking_request_serializer(serializer_class) -> None:
    from rest_framework import serializers

    look = 'lesson 03, "1. Serializers: the API\'s types"; DRF docs: Serializers → Validation'
    if not (isinstance(serializer_class, type)
            and issubclass(serializer_class, serializers.BaseSerializer)):
        raise Fail(expected="the serializer class (a subclass of serializers.Serializer)",
                   got=f"{serializer_class!r}"[:120],
                   hint="pass the class itself; the check creates one instance per request "
                        "body, as a view would.", look=look)

    def run(data: dict) -> tuple[bool, dict, dict]:
        serializer = serializer_class(data=data)
        try:
            valid = serializer.is_valid()
        except AssertionError as exc:  # DRF's own guard, e.g. validate() returned None
            raise Fail(expected=f"{data} checked", got=f"DRF refused: {exc}"[:160],
                       hint="validate() must return the attrs it checked (and validate_guests "
                            "the value): DRF uses what they return as validated_data.",
                       look=look) from None
        values = serializer.validated_data if valid else {}
        return valid, dict(values or {}), dict(serializer.errors)

    from django.utils import timezone

    today = timezone.localdate()
    check_in = today + timedelta(days=30)
    good = {"check_in": check_in.isoformat(),
            "check_out": (check_in + timedelta(days=3)).isoformat(), "guests": 2}
    valid, values, errors = run(good)
    if not valid:
        raise Fail(expected=f"{good} is valid", got=f"errors {short(errors)}",
                   hint="a good request must pass: read the errors above, field by field.",
                   look=look)
    wanted = {"check_in": check_in, "check_out": check_in + timedelta(days=3), "guests": 2}
    if values != wanted:
        if not values:
            hint = "validated_data came back empty: validate() must return the attrs it " \
                   "checked (and validate_guests the value)."
        elif "guests" in values and values["guests"] is None:
            hint = "guests came back as None: DRF keeps what validate_guests returns, so it " \
                   "must return the value once it is fine."
        elif any(isinstance(values.get(k), str) for k in ("check_in", "check_out")):
            hint = "validated_data should hold date objects, not the strings the client sent: " \
                   "choose the serializer field type that parses an ISO date."
        else:
            hint = "validated_data should hold exactly the three fields, as Python values."
        raise Fail(expected=f"validated_data == {wanted!r}", got=short(values, 160), hint=hint,
                   look=look)

    cases = [
        ("negative guests (guests: -3)", {**good, "guests": -3}, "guests",
         "a booking needs at least one guest: refuse a guests value below 1 with a field "
         "error."),
        ("no guests at all (guests: 0)", {**good, "guests": 0}, "guests",
         "a party of 0 got in: 'at least 1' refuses 0 as well as negative numbers."),
        ("guests: 'two'", {**good, "guests": "two"}, "guests",
         "guests must be a whole number: choose the field type that rejects 'two'."),
        ("check_in: '2030-13-01'", {**good, "check_in": "2030-13-01"}, "check_in",
         "'2030-13-01' is not a date: choose the field type that parses and checks dates."),
        ("no check_out", {"check_in": good["check_in"], "guests": 2}, "check_out",
         "check_out is required: every field the task lists must be present."),
        ("check_out before check_in",
         {**good, "check_out": (check_in - timedelta(days=2)).isoformat()}, "check_out",
         "compare the two dates where the serializer sees both fields at once, and report a "
         "check-out that is not after check-in."),
        ("check_out == check_in (zero nights)", {**good, "check_out": good["check_in"]},
         "check_out", "a stay of zero nights is not a stay: check-out on the check-in day "
                      "must be refused too (check_out must be strictly after check_in)."),
    ]
    for label, data, field, hint in cases:
        valid, _, errors = run(data)
        if not valid and field in errors:
            continue
        raise _misplaced(label, field, valid, errors, hint, look)

    def any_request(case: tuple[int, int, int]) -> None:
        guests, offset, nights = case
        start = today + timedelta(days=offset)
        data = {"check_in": start.isoformat(),
                "check_out": (start + timedelta(days=nights)).isoformat(), "guests": guests}
        valid, _, errors = run(data)
        # DRF runs validate() only when every field passed: a bad party hides a bad stay.
        wrong = {"guests"} if guests < 1 else {"check_out"} if nights < 1 else set()
        if valid == (not wrong) and wrong <= set(errors):
            return
        label = f"guests={guests}, a stay of {nights} night(s)"
        if valid and wrong:
            raise Fail(expected=f"{label}: invalid ({', '.join(sorted(wrong))})", got="valid",
                       hint="compare your conditions with the rule at its edges: at least 1 "
                            "guest, check-out strictly after check-in.", look=look)
        if not wrong:
            raise Fail(expected=f"{label}: valid", got=f"errors {short(errors)}",
                       hint="a request within the rules was refused: refuse only fewer than 1 "
                            "guest and a check-out not after check-in.", look=look)
        raise _misplaced(label, sorted(wrong)[0], valid, errors, "report each problem under "
                         "its own field.", look)

    from hypothesis import strategies

    for_all(strategies.tuples(strategies.integers(-3, 12), strategies.integers(-400, 800),
                              strategies.integers(-3, 40)), any_request, examples=40)


def _misplaced(label: str, field: str, valid: bool, errors: dict, hint: str, look: str) -> Fail:
    """The Fail for a request that should be refused under ``field``; names a misplaced error."""
    if not valid and field == "check_out" and "non_field_errors" in errors:
        hint = "the error is there, but under non_field_errors: attach the message to the " \
               "check_out field (raise ValidationError with a dict keyed by the field), so " \
               "a client can show it next to that field."
    elif not valid and field == "check_out" and "check_in" in errors:
        hint = "the error is there, but under check_in: the task asks for it under check_out, " \
               "the field a client shows it next to."
    got = "valid" if valid else f"errors {short(errors)}"
    return Fail(expected=f"{label}: invalid, with an error under {field!r}", got=got,
                hint=hint, look=look)


# --- 03.2 -----------------------------------------------------------------------------------------
def _filter_view(filterset_class):
    """A read-only list view of active listings that uses ``filterset_class``, as the project's."""
    from django_filters.rest_framework import DjangoFilterBackend
    from rest_framework import generics, serializers

    from listings.models import Listing

    class IdSerializer(serializers.ModelSerializer):
        class Meta:
            model = Listing
            fields = ["id"]

    class CheckedListView(generics.ListAPIView):
        serializer_class = IdSerializer
        filter_backends = [DjangoFilterBackend]
        pagination_class = None

        def get_queryset(self):
            return Listing.objects.filter(is_active=True).order_by("id")

    CheckedListView.filterset_class = filterset_class
    return CheckedListView.as_view()


@exercise("03.2", "ListingPriceFilter: a max_price filter")
def check_listing_price_filter(filterset_class) -> None:
    from django_filters import FilterSet
    from rest_framework.test import APIRequestFactory, force_authenticate

    from listings.models import Listing

    look = 'lesson 03, "4. Pagination, filtering and ordering"; sample_project/listings/filters.py'
    if not (isinstance(filterset_class, type) and issubclass(filterset_class, FilterSet)):
        raise Fail(expected="the FilterSet class", got=f"{filterset_class!r}"[:120],
                   hint="pass the class itself, not an instance: the view creates one per "
                        "request.", look=look)
    view = _filter_view(filterset_class)
    factory = APIRequestFactory(SERVER_NAME="localhost")
    user = seeded_user("guest")

    def get(params: dict):
        request = factory.get("/listings/", params)
        force_authenticate(request, user=user)  # counted per user, not as anonymous traffic
        try:
            response = view(request)
        except NotImplementedError:
            raise
        except Exception as exc:  # a filter that lets bad input reach the database
            return 500, f"{type(exc).__name__}: {str(exc).splitlines()[0]}"[:160]
        return response.status_code, response.data

    def searches() -> None:
        active = list(Listing.objects.filter(is_active=True).order_by("id"))
        prices = sorted({x.price_per_night for x in active})
        edge = prices[len(prices) // 2]  # a real price, so "at most" is tested at its edge
        gondar_edge = sorted(x.price_per_night for x in active if x.city == "gondar")[3]
        # A price with cents, and a limit a quarter of a birr above it.
        cents = Listing.objects.create(host=active[0].host, title="Check 03.2 stay",
                                       city="gondar", address="Check street", max_guests=2,
                                       price_per_night=edge + Decimal("0.50"))
        active = list(Listing.objects.filter(is_active=True).order_by("id"))

        def matching(params: dict, *, inclusive: bool = True, whole: bool = False) -> list[int]:
            limit = Decimal(params["max_price"]) if "max_price" in params else None
            if limit is not None and whole:
                limit = Decimal(int(limit))
            return [x.pk for x in active
                    if params.get("city", x.city) == x.city
                    and (limit is None or x.price_per_night < limit
                         or (inclusive and x.price_per_night == limit))]

        for params in ({"max_price": str(edge)},
                       {"max_price": str(gondar_edge), "city": "gondar"},
                       {"max_price": str(cents.price_per_night + Decimal("0.25"))}, {}):
            truth = matching(params)
            status, data = get(params)
            ids = [row["id"] for row in data] if status == 200 else None
            if ids == truth:
                continue
            if status != 200:
                hint = "a good search must answer 200: read the error."
            elif set(ids) - {x.pk for x in active}:
                hint = "listings the view had left out came back (inactive ones): start from " \
                       "the queryset you were given, not from Listing.objects."
            elif "city" in params and set(truth) < set(ids):
                hint = "the city parameter is ignored: declare a city filter too."
            elif sorted(ids) == sorted(truth):
                hint = "the right listings in another order: a filter only filters — the " \
                       "view (or ?ordering=) decides the order."
            elif ids == matching(params, inclusive=False):
                hint = "'at most' includes a listing priced exactly at max_price: check the " \
                       "lookup of your filter."
            elif ids == matching(params, whole=True):
                hint = "max_price can have cents: cutting it to whole birr drops the listings " \
                       "priced between the two. Compare with the Decimal as given."
            elif not params:
                hint = "without parameters every active listing must come back."
            elif ids == [x.pk for x in active]:
                hint = "every listing came back: filter_max_price must return the queryset " \
                       "filtered, not the one it was given."
            else:
                hint = "max_price must keep the listings whose price_per_night is at most the " \
                       "value: check the field your filter reads and its lookup."
            raise Fail(expected=f"GET ?{params} → {len(truth)} listings", got=(
                f"{status}: {len(ids)} listings" if ids is not None else f"{status}: {data}"),
                hint=hint, look=look)

    in_rollback(searches)
    for value, reason in (("cheap", "a number"), ("-5", "zero or more")):
        status, data = get({"max_price": value})
        if status == 400 and isinstance(data, dict) and "max_price" in data:
            continue
        if status == 500:
            hint = "the bad value reached the database and crashed the request (a 500): use a " \
                   "filter type that validates numbers before any SQL is built."
        elif value == "-5":
            hint = "a negative price makes no sense: refuse it with a 400 (the filter takes a " \
                   "lower bound, as min_price does in listings/filters.py)."
        else:
            hint = "a value that is not a number must be a 400 naming max_price: use a " \
                   "filter type that validates numbers."
        got = f"{status}" + (f" with {short(data, 120)}" if status != 200 else
                             f" with {len(data)} listings")
        raise Fail(expected=f"?max_price={value} → 400 with an error under 'max_price' "
                            f"(it must be {reason})", got=got, hint=hint, look=look)


# --- 03.3 -----------------------------------------------------------------------------------------
def _booking_view(handler):
    """A booking endpoint like the project's, with ``handler`` as its exception handler."""
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from bookings.serializers import BookingInputSerializer, BookingSerializer
    from bookings.services import booking_create

    class CheckedBookingView(APIView):
        permission_classes = [IsAuthenticated]

        def get_exception_handler(self):
            return handler

        def post(self, request):
            data = BookingInputSerializer(data=request.data, context={"request": request})
            data.is_valid(raise_exception=True)
            booking = booking_create(guest=request.user, **data.validated_data)
            return Response(BookingSerializer(booking).data, status=201)

    return CheckedBookingView.as_view()


@exercise("03.3", "api_exception_handler: domain errors to HTTP")
def check_exception_handler(handler) -> None:
    from django.db import transaction
    from django.utils import timezone
    from rest_framework.test import APIRequestFactory, force_authenticate

    from bookings.services import booking_create
    from listings.models import Listing

    look = 'lesson 03, "9. Errors"; DRF docs: Exceptions → Custom exception handling'
    view = _booking_view(handler)
    factory = APIRequestFactory(SERVER_NAME="localhost")
    from accounts.models import User

    guest, other = User.objects.filter(role="guest").order_by("username")[:2]
    listing = Listing.objects.filter(is_active=True, max_guests__gte=2).exclude(
        host=guest).order_by("id").first()
    start = timezone.localdate() + timedelta(days=4 * 365)

    def body(check_in, nights=3, guests=2):
        return {"listing": listing.pk, "check_in": check_in.isoformat(),
                "check_out": (check_in + timedelta(days=nights)).isoformat(), "guests": guests}

    def post(data, user):
        request = factory.post("/bookings/", data, format="json")
        if user is not None:
            force_authenticate(request, user=user)
        try:
            response = view(request)
        except NotImplementedError:
            raise
        except Exception as exc:  # the handler returned None for it: DRF re-raises, a 500
            return 500, f"unhandled {type(exc).__name__}"
        return response.status_code, getattr(response, "data", None)

    past = timezone.localdate() - timedelta(days=30)
    results = {}
    try:
        with transaction.atomic():
            booking_create(listing=listing, guest=other, guests=1, check_in=start,
                           check_out=start + timedelta(days=3))
            results["overlap"] = post(body(start + timedelta(days=1)), guest)
            results["past"] = post(body(past), guest)
            results["too many"] = post(body(start + timedelta(days=40), guests=99), guest)
            results["anonymous"] = post(body(start + timedelta(days=80)), None)
            results["good"] = post(body(start + timedelta(days=120)), guest)
            raise Rollback
    except Rollback:
        pass

    status, data = results["overlap"]
    if status != 409:
        if status == 400:
            hint = "the overlap came back as a 400: ConflictError is a subclass of Django's " \
                   "ValidationError, so a ValidationError branch also catches it. Test for " \
                   "the more specific class first."
        elif status == 500:
            hint = "the service's BookingOverlapError (a ConflictError) reached DRF unhandled: " \
                   "DRF only knows its own exceptions. Turn a ConflictError into a 409."
        else:
            hint = "an overlapping booking is a conflict with the current state: 409."
        raise Fail(expected="overlapping nights → 409", got=f"{status} {short(data, 120)}",
                   hint=hint, look=look)
    if not isinstance(data, dict) or data.get("code") != "booking_overlap" \
            or not data.get("detail"):
        raise Fail(expected='409 {"detail": "The listing is already booked…", '
                            '"code": "booking_overlap"}', got=f"409 {short(data, 120)}",
                   hint="give clients a machine-readable code to branch on: the error's own "
                        ".code, next to its message under detail.", look=look)

    for case, field in (("past", "check_in"), ("too many", "guests")):
        status, data = results[case]
        if status == 400 and isinstance(data, dict) and isinstance(data.get(field), list):
            continue
        if status == 500:
            hint = "Django's ValidationError (raised by the service) is not DRF's: DRF's own " \
                   "handler doesn't know it, so it became a 500. Turn it into a 400."
        elif status == 400:
            hint = "make the 400 look like a serializer's: one list of messages per field " \
                   "(the error's message_dict, or DRF's as_serializer_error), not one string."
        else:
            hint = "a request that breaks a business rule is bad input: 400."
        raise Fail(expected=f"the service's ValidationError → 400 {{{field!r}: [...]}}",
                   got=f"{status} {short(data, 140)}", hint=hint, look=look)

    for case, expected in (("anonymous", 401), ("good", 201)):
        status, data = results[case]
        if status == expected:
            continue
        hint = "DRF's own exceptions (NotAuthenticated, its ValidationError, 404s) must keep " \
               "working: hand everything you don't map yourself to DRF's exception_handler " \
               "and return what it returns."
        raise Fail(expected=f"{case} request → {expected}", got=f"{status} {short(data, 120)}",
                   hint=hint, look=look)


# --- build steps (the learner's own project; contracts in nexus/build/contracts/lesson03.py) ---
build_step("03.b1", "Build: the listings API — a viewset on a router, nested output, "
                    "validated input", server=True)
build_step("03.b2", "Build: filters, ordering and pages on the listings list, without N+1",
           requires=("03.b1",), server=True)
build_step("03.b3", "Build: booking requests validated, 400 per field and 409 for taken nights",
           requires=("03.b1",), server=True)
build_step("03.b4", "Build: the OpenAPI schema and Swagger UI at /api/docs/, served offline",
           requires=("03.b1",), server=True)
