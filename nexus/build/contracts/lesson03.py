"""Lesson 03's build steps: the listings and bookings API, its filters and pages, its docs.

The names are the sample project's: a ``ModelViewSet`` per resource on the router in
``config/api_router.py`` mounted at ``/api/`` (``/api/listings/``, ``/api/bookings/``), output
serializers that nest the host as ``{"id", "username"}``, query parameters ``city``,
``min_price``, ``max_price``, ``guests``, ``ordering``, ``page`` and ``page_size``, the schema
at ``/api/schema/`` and Swagger UI at ``/api/docs/``.

Reads go over HTTP to the learner's gunicorn. Writes that need a logged-in user (lesson 04
builds the logins) go through DRF's test client *in this process* with ``force_authenticate``:
the same views, middleware and serializers, without depending on how the project logs in.
The rows a contract needs are created with the ORM (committed, so gunicorn sees them).
"""

from __future__ import annotations

import json
import re
import secrets
import traceback
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from nexus.build.contract import Context, Fail, contract, learner_location

LOOK_MODELS = "lesson 02, §1 'The schema as a picture' (the sample project's models)"
LOOK_SERIALIZERS = "lesson 03, §1 'Serializers: the API's types'"
LOOK_VIEWSETS = "lesson 03, §2 'From a function to a viewset'"
LOOK_PAGES = "lesson 03, §4 'Pagination, filtering and ordering'"
LOOK_LISTINGS = "lesson 03, §6 'Listings: hosts own theirs'"
LOOK_BOOKINGS = "lesson 03, §7 'Bookings: create, list mine, cancel'"
LOOK_ERRORS = "lesson 03, §9 'Errors: every bad request gets a clear answer'"
LOOK_DOCS = "lesson 03, §10 'The contract, written down: OpenAPI and Swagger UI'"

LISTINGS = "/api/listings/"
BOOKINGS = "/api/bookings/"
SCHEMA = "/api/schema/"
DOCS = "/api/docs/"
#: Fields of the nested host that a client may see; anything else about a user is private.
PUBLIC_USER_FIELDS = {"id", "username"}
#: Cities each contract writes its rows in, so that filters select one contract's rows only.
CITY = {"b1": "addis-ababa", "filters": "gondar", "pages": "harar", "ordering": "lalibela",
        "queries": "axum", "bookings": "bahir-dar"}


# --- the learner's models ------------------------------------------------------------------------
def _model(label: str, name: str):
    from django.apps import apps

    try:
        return apps.get_model(label, name)
    except LookupError:
        raise Fail(expected=f"a {name} model in {label}/models.py (app {label!r} installed)",
                   got=f"no model {label}.{name}",
                   hint=f"lesson 02's build steps write the models; the API serves them. Check "
                        f"that {label!r} is in INSTALLED_APPS.",
                   look=LOOK_MODELS) from None


def _fields(model) -> set[str]:
    return {f.name for f in model._meta.concrete_fields}


def _token() -> str:
    return secrets.token_hex(4)


def make_user(role: str = "guest"):
    """A user with a unique name and email, and a password hash that must never be shown.

    The hash is a made-up one (hashing a real password costs ~0.3 s); only its text matters.
    """
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    tag = _token()
    values: dict[str, Any] = {user_model.USERNAME_FIELD: f"{role}-{tag}",
                              "password": f"pbkdf2_sha256$870000$salt{tag}$hash{tag}secret"}
    if "email" in _fields(user_model):
        values["email"] = f"{role}-{tag}@private.example"
    if "role" in _fields(user_model):
        values["role"] = role
    try:
        return user_model.objects.create(**values)
    except Exception as exc:
        raise Fail(expected="a user can be created with a username, an email and a role",
                   got=f"{type(exc).__name__}: {exc}"[:200],
                   hint="the user model of lesson 02 (accounts.User) needs no other field.",
                   look=LOOK_MODELS) from None


def make_listing(host, **values: Any):
    """A listing of ``host`` (the sample's field names; only the fields the model has)."""
    listing_model = _model("listings", "Listing")
    tag = _token()
    row: dict[str, Any] = {"host": host, "title": f"Stay {tag}", "description": "Quiet.",
                           "city": CITY["b1"], "address": f"House {tag}",
                           "price_per_night": Decimal("1000.00"), "max_guests": 2,
                           "bedrooms": 1, "is_active": True}
    row.update(values)
    have = _fields(listing_model)
    missing = [name for name in ("host", "title", "city", "price_per_night", "max_guests")
               if name not in have]
    if missing:
        raise Fail(expected="Listing has the fields host, title, city, price_per_night, "
                            "max_guests",
                   got="missing: " + ", ".join(missing),
                   hint="the API's names are the model's: use the sample project's field names.",
                   look=LOOK_MODELS)
    try:
        return listing_model.objects.create(**{k: v for k, v in row.items() if k in have})
    except Exception as exc:
        raise Fail(expected="a listing can be created with the sample project's fields",
                   got=f"{type(exc).__name__}: {exc}"[:200],
                   hint="compare listings/models.py with the sample project's.",
                   look=LOOK_MODELS) from None


# --- HTTP and in-process calls -------------------------------------------------------------------
def _json(response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def get_json(ctx: Context, path: str, what: str, look: str = LOOK_VIEWSETS) -> Any:
    """GET ``path`` over HTTP; its JSON, or a Fail saying what came back instead."""
    response = ctx.get(path, headers={"Accept": "application/json"})
    data = _json(response)
    if response.status_code == 200 and data is not None:
        return data
    if response.status_code == 404 and path.startswith(LISTINGS):
        hint = ("register a ModelViewSet on a router in config/api_router.py: "
                "router.register('listings', ListingViewSet, basename='listing'), and mount it "
                "in config/urls.py with path('api/', include('config.api_router')).")
    elif response.status_code >= 500:
        hint = "read the error and the line it names (gunicorn's log says the same); " \
               "fix it and check again."
    else:
        hint = f"{what} is public: anyone may read it, logged in or not."
    got = f"{response.status_code} {response.headers.get('Content-Type', '')}".strip()
    if response.status_code >= 500:
        got += ctx.server_error()
    elif data is not None:
        got += " " + _short(data)
    raise Fail(expected=f"GET {path} → 200 with JSON ({what})", got=got, hint=hint, look=look)


def client(ctx: Context, user=None):
    """DRF's test client for the learner's project in this process, logged in as ``user``."""
    from rest_framework.test import APIClient

    host = urlsplit(ctx.base_url or "http://127.0.0.1").hostname or "127.0.0.1"
    api = APIClient(HTTP_HOST=host)
    if user is not None:
        api.force_authenticate(user=user)
    return api


def call(ctx: Context, api, method: str, path: str, data: dict | None = None
         ) -> tuple[int, Any, str]:
    """``(status, json or text, error)``; an exception the project raised is a 500 whose
    ``error`` names it and the project's line that raised it."""
    try:
        response = getattr(api, method.lower())(path, data=data, format="json")
    except Exception as exc:
        frames = [(f.filename, f.lineno or 0) for f in traceback.extract_tb(exc.__traceback__)]
        where = learner_location(frames, ctx.project)
        text = f"{type(exc).__name__}: {exc}".strip()[:240]
        return 500, None, f"{text} ({where})" if where else text
    data = _json(response)
    return response.status_code, data if data is not None else response.content[:200], ""


def results_of(data: Any, path: str, look: str = LOOK_PAGES) -> list[dict]:
    """The rows of a page ``{"count", "next", "previous", "results"}``, or a Fail."""
    if isinstance(data, dict) and isinstance(data.get("results"), list) and "count" in data:
        return data["results"]
    shape = f"a JSON list of {len(data)} items" if isinstance(data, list) else _short(data)
    raise Fail(expected=f"GET {path} → one page: {{\"count\", \"next\", \"previous\", "
                        f"\"results\"}}",
               got=shape,
               hint="a list endpoint pages its rows: set REST_FRAMEWORK's "
                    "DEFAULT_PAGINATION_CLASS (a PageNumberPagination subclass, the sample's "
                    "config/pagination.py) in settings; a list() of your own calls "
                    "self.paginate_queryset() and returns self.get_paginated_response(). "
                    "Without pages one request returns every row of the table.",
               look=look)


def _ids(rows: Iterable[dict]) -> list[Any]:
    return [row.get("id") for row in rows if isinstance(row, dict)]


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


# --- 03.b1 the listings API ----------------------------------------------------------------------
@contract("03.b1")
def listings_are_listed_page_by_page(ctx: Context) -> None:
    """GET /api/listings/ pages the active listings: count, next, previous, results."""
    host = make_user("host")
    shown = [make_listing(host, city=city, price_per_night=Decimal(price))
             for city, price in ((CITY["b1"], "950.00"), ("dire-dawa", "1800.00"),
                                 ("hawassa", "2400.50"))]
    hidden = make_listing(host, is_active=False, title=f"Hidden {_token()}")
    listing_model = type(hidden)
    active = listing_model.objects.filter(is_active=True).count()
    data = get_json(ctx, LISTINGS, "the public catalogue")
    rows = results_of(data, LISTINGS)
    ids = _ids(rows)
    if hidden.pk in ids or data.get("count") != active:
        raise Fail(expected=f"the {active} active listings (count {active}); not listing "
                            f"{hidden.pk}, which is inactive",
                   got=f"count {data.get('count')}, ids {ids[:12]}",
                   hint="the public list shows active listings only: the viewset's "
                        "get_queryset() filters is_active=True (the sample asks a selector, "
                        "listings/selectors.py).",
                   look=LOOK_LISTINGS)
    missing = [listing.pk for listing in shown if listing.pk not in ids]
    if missing and len(rows) >= active:
        raise Fail(expected=f"listings {[x.pk for x in shown]} in the results",
                   got=f"ids {ids[:12]}",
                   hint="the list must serve the listings of the database (the viewset's "
                        "queryset), ordered by id.", look=LOOK_VIEWSETS)


def _hosted() -> tuple[Any, Any, Any]:
    host = make_user("host")
    listing = make_listing(host, city="dire-dawa", price_per_night=Decimal("1234.50"),
                           max_guests=3)
    hidden = make_listing(host, is_active=False)
    return host, listing, hidden


@contract("03.b1")
def one_listing_with_its_host_nested(ctx: Context) -> None:
    """GET /api/listings/<id>/ shows the listing with its host nested as {id, username}."""
    from django.contrib.auth import get_user_model

    host, listing, hidden = _hosted()
    path = f"{LISTINGS}{listing.pk}/"
    data = get_json(ctx, path, "one active listing")
    expected = {"id": listing.pk, "title": listing.title, "city": listing.city}
    got = {k: data.get(k) for k in expected} if isinstance(data, dict) else data
    if got != expected or _decimal(data.get("price_per_night")) != Decimal("1234.50"):
        raise Fail(expected=f"{expected} and price_per_night 1234.50",
                   got=_short(data),
                   hint="the detail serializer names the model's fields: id, title, city, "
                        "price_per_night… (listings/serializers.py).", look=LOOK_SERIALIZERS)
    username = getattr(host, get_user_model().USERNAME_FIELD)
    nested = data.get("host")
    if not (isinstance(nested, dict) and nested.get("id") == host.pk
            and nested.get("username") == username):
        raise Fail(expected=f'"host": {{"id": {host.pk}, "username": "{username}"}}',
                   got=f'"host": {_short(nested)}',
                   hint="a nested serializer shows the host as an object, not an id: "
                        "host = ListingHostSerializer(read_only=True) in the listing's "
                        "serializer, ListingHostSerializer a ModelSerializer of the user with "
                        "fields ['id', 'username'] (listings/serializers.py).",
                   look=LOOK_SERIALIZERS)
    for missing_path, why in ((f"{LISTINGS}{hidden.pk}/", "an inactive listing"),
                              (f"{LISTINGS}987654321/", "an id that does not exist")):
        response = ctx.get(missing_path)
        if response.status_code != 404:
            got = f"{response.status_code}" + (ctx.server_error()
                                                if response.status_code >= 500 else "")
            raise Fail(expected=f"GET {missing_path} ({why}) → 404", got=got,
                       hint="retrieve() looks the id up in the same queryset as the list "
                            "(get_queryset(), active listings only), so anything the list "
                            "doesn't show is a 404.",
                       look=LOOK_LISTINGS)


@contract("03.b1")
def no_private_field_of_the_host_is_shown(ctx: Context) -> None:
    """Neither the list nor a listing shows its host's email, password hash or other
    private fields."""
    host = make_user("host")
    listing = make_listing(host)
    private = [value for value in (getattr(host, "email", ""), host.password) if value]
    for path in (f"{LISTINGS}{listing.pk}/", f"{LISTINGS}?page_size=100"):
        data = get_json(ctx, path, "listings")
        text = json.dumps(data)
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            rows = [row for row in data["results"] if row.get("id") == listing.pk]
        else:
            rows = [data]
        nested = rows[0].get("host") if rows and isinstance(rows[0], dict) else None
        extra = sorted(set(nested) - PUBLIC_USER_FIELDS) if isinstance(nested, dict) else []
        leaked = [value for value in private if value in text]
        if leaked or extra:
            shown = f"the host's {', '.join(extra)}" if extra else "the host's email/password"
            raise Fail(expected=f"GET {path} shows the host as id and username only",
                       got=f"it shows {shown}: {_short(nested)}",
                       hint="private fields leak through a serializer that lists too much: "
                            "the host's serializer names its fields, fields = ['id', "
                            "'username'] — never '__all__' or exclude on a user model.",
                       look=LOOK_SERIALIZERS)


@contract("03.b1")
def creating_a_listing_is_validated(ctx: Context) -> None:
    """POST /api/listings/: bad input → 400 with an error per field (never a 500); good input
    → 201 with the caller as host; anonymous → 401/403."""
    listing_model = _model("listings", "Listing")
    good = {"title": f"Lakeside room {_token()}", "description": "A view of Lake Tana.",
            "city": "bahir-dar", "address": "Kebele 4, Bahir Dar",
            "price_per_night": "1800.00", "max_guests": 2, "bedrooms": 1}
    before = listing_model.objects.count()
    response = ctx.post(LISTINGS, json=good)
    if response.status_code not in (401, 403) or listing_model.objects.count() != before:
        raise Fail(expected="POST /api/listings/ without logging in → 401 or 403, nothing saved",
                   got=f"{response.status_code}" + (ctx.server_error()
                                                    if response.status_code >= 500 else ""),
                   hint="writes need a logged-in user: permission_classes (the sample's "
                        "IsAuthenticatedOrReadOnly by default, in REST_FRAMEWORK's "
                        "DEFAULT_PERMISSION_CLASSES).",
                   look=LOOK_LISTINGS)
    host, other = make_user("host"), make_user("host")
    api = client(ctx, host)
    bad = {"title": "", "city": "paris", "price_per_night": "-5", "max_guests": 0}
    status, data, error = call(ctx, api, "post", LISTINGS, bad)
    wanted = ["title", "city", "price_per_night", "max_guests", "address"]
    named = sorted(data) if isinstance(data, dict) else []
    if status != 400 or not set(wanted) <= set(named):
        if status == 500:
            hint = ("bad input reached code that can't handle it: validate the request with "
                    "an input serializer (serializer.is_valid(raise_exception=True)) before "
                    "anything is saved — DRF answers 400 with a message per field.")
        else:
            hint = ("an input serializer (the sample's ListingInputSerializer) checks every "
                    "field: required ones, the city among the choices, price ≥ 1, max_guests "
                    "≥ 1, and answers 400 with one list of messages per field.")
        raise Fail(expected=f"POST {_short(bad, 100)} (no address) → 400 naming "
                            f"{', '.join(wanted)}",
                   got=f"{status} {error or _short(data)}", hint=hint, look=LOOK_ERRORS)
    status, data, error = call(ctx, api, "post", LISTINGS, {**good, "host": other.pk})
    created = listing_model.objects.filter(title=good["title"]).first()
    if status != 201 or created is None:
        raise Fail(expected=f"POST {_short(good, 120)} as a host → 201, the listing saved",
                   got=f"{status} {error or _short(data)}",
                   hint="create() validates with the input serializer, saves with the "
                        "logged-in user as host, and answers 201 with the listing.",
                   look=LOOK_LISTINGS)
    if created.host_id != host.pk:
        raise Fail(expected=f"the new listing's host is the logged-in user ({host.pk})",
                   got=f"host {created.host_id}: the client sent \"host\": {other.pk}",
                   hint="the host is never taken from the request: leave it out of the input "
                        "serializer's fields and save with host=request.user.",
                   look=LOOK_SERIALIZERS)
    if not (isinstance(data, dict) and data.get("id") == created.pk):
        raise Fail(expected=f"the 201 shows the new listing (id {created.pk})",
                   got=_short(data),
                   hint="answer with the listing as GET shows it (an output serializer).",
                   look=LOOK_SERIALIZERS)


# --- 03.b2 filters, ordering, pages, queries -----------------------------------------------------
def _listings_of(ctx: Context, query: str, look: str = LOOK_PAGES) -> list[dict]:
    path = f"{LISTINGS}?{query}"
    return results_of(get_json(ctx, path, "a filtered list", look), path, look)


def _price_hint(extra: set[str], missing: set[str]) -> str:
    """Which bound of ?min_price=1000&max_price=2000 went wrong, from the rows it returned."""
    ignored = [name for name, price in (("min_price", "999.99"), ("max_price", "2000.01"))
               if price in extra]
    if ignored:
        return (f"{' and '.join(ignored)} had no effect: declare each in the FilterSet, "
                f"e.g. min_price = NumberFilter(field_name='price_per_night', "
                f"lookup_expr='gte'). django-filter ignores a parameter it does not know.")
    return ("min_price and max_price include their bound: lookup_expr='gte' and 'lte' on "
            "price_per_night — a listing at exactly 2000 matches max_price=2000.")


@contract("03.b2")
def filters_by_city_price_and_party_size(ctx: Context) -> None:
    """?city=, ?min_price= and ?max_price= (bounds included), ?guests= (at least)."""
    host = make_user("host")
    city = CITY["filters"]
    rows = {price: make_listing(host, city=city, price_per_night=Decimal(price), max_guests=n)
            for n, price in enumerate(("999.99", "1000.00", "1500.00", "2000.00", "2000.01"), 1)}
    by_price = {listing.pk: price for price, listing in rows.items()}
    cases = [
        (f"city={city}", set(by_price), "city",
         "a FilterSet (django-filter) on the viewset: filterset_class = ListingFilter with "
         "city = filters.ChoiceFilter(choices=City.choices), and DjangoFilterBackend in "
         "REST_FRAMEWORK's DEFAULT_FILTER_BACKENDS."),
        (f"city={city}&min_price=1000&max_price=2000",
         {rows[p].pk for p in ("1000.00", "1500.00", "2000.00")}, "price", ""),
        (f"city={city}&guests=4", {rows[p].pk for p in ("2000.00", "2000.01")}, "guests",
         "guests is the party size: listings that take at least that many guests, "
         "NumberFilter(field_name='max_guests', lookup_expr='gte')."),
    ]
    for query, expected, what, hint in cases:
        got = set(_ids(_listings_of(ctx, query)))
        if got != expected and what == "price":
            hint = _price_hint({by_price[i] for i in got - expected if i in by_price},
                               {by_price[i] for i in expected - got})
        if got != expected:
            def show(ids: set) -> list:
                return sorted((by_price.get(i, f"id {i}") for i in ids), key=lambda s: s.zfill(12))
            raise Fail(expected=f"GET {LISTINGS}?{query} → prices {show(expected)}",
                       got=f"prices {show(got)}", hint=hint, look=LOOK_PAGES)
    response = ctx.get(f"{LISTINGS}?max_price=cheap")
    data = _json(response)
    if response.status_code != 400 or not (isinstance(data, dict) and "max_price" in data):
        raise Fail(expected=f"GET {LISTINGS}?max_price=cheap → 400 naming max_price",
                   got=f"{response.status_code} {_short(data if data is not None else '')}",
                   hint="a bad query parameter is the client's mistake: declare it as a "
                        "NumberFilter (never read request.query_params by hand), and "
                        "DjangoFilterBackend answers 400 with the parameter's error.",
                   look="lesson 03, §4 'Bad query parameters are 400s'")


@contract("03.b2")
def page_size_has_a_ceiling(ctx: Context) -> None:
    """?page_size=5 gives 5 rows and a next page; ?page_size=1000 gives at most 100."""
    listing_model = _model("listings", "Listing")
    host = make_user("host")
    city = CITY["pages"]
    for n in range(105):
        make_listing(host, city=city, price_per_night=Decimal(1000 + n))
    total = listing_model.objects.filter(city=city, is_active=True).count()
    path = f"{LISTINGS}?city={city}&page_size=5"
    data = get_json(ctx, path, "a page of 5")
    rows = results_of(data, path)
    if len(rows) != 5 or data.get("count") != total or not data.get("next"):
        raise Fail(expected=f"GET {path} → 5 results, count {total}, a next link",
                   got=f"{len(rows)} results, count {data.get('count')}, "
                       f"next {data.get('next')!r}",
                   hint="let clients choose the page size: page_size_query_param = "
                        "'page_size' on the pagination class (config/pagination.py).",
                   look=LOOK_PAGES)
    for query in (f"city={city}&page_size=1000", f"city={city}"):
        rows = _listings_of(ctx, query)
        if not 0 < len(rows) <= 100:
            raise Fail(expected=f"GET {LISTINGS}?{query} → at most 100 of the {total} rows",
                       got=f"{len(rows)} rows in one response",
                       hint="cap the page: max_page_size = 100 on the pagination class (and "
                            "a default page_size of 20): without a cap one request can ask "
                            "for every row of the table.",
                       look="lesson 03, §4 'Page sizes have a ceiling'")


@contract("03.b2")
def ordering_is_total_and_pages_are_stable(ctx: Context) -> None:
    """?ordering=price_per_night / -price_per_night, ties by id: paging never repeats or
    skips a listing."""
    listing_model = _model("listings", "Listing")
    host = make_user("host")
    city = CITY["ordering"]
    prices = ["1200.00"] * 9 + ["800.00", "1600.00", "2400.00"]
    made = [make_listing(host, city=city, price_per_night=Decimal(p)) for p in prices]
    # Rewrite the first tied rows: PostgreSQL stores the new versions at the end of the
    # table, so its physical order (what an unstable sort of ties tends to follow) is no
    # longer the id order.
    tied = [x.pk for x in made if x.price_per_night == Decimal("1200.00")]
    for pk in tied[:4]:
        listing_model.objects.filter(pk=pk).update(title=f"Moved {_token()}")
    by_price = {x.pk: Decimal(x.price_per_night) for x in made}
    for key, sign in (("price_per_night", 1), ("-price_per_night", -1)):
        expected = sorted(by_price, key=lambda pk: (sign * by_price[pk], pk))
        # Ties by id either way make the order total; the sample breaks them by id ascending.
        either = (expected, sorted(by_price, key=lambda pk: (sign * by_price[pk], -pk)))
        seen: list[Any] = []
        for page in range(1, 5):
            seen += _ids(_listings_of(ctx, f"city={city}&ordering={key}&page_size=3&page={page}"))
        if seen in either:
            continue
        repeated = sorted({pk for pk in seen if seen.count(pk) > 1})
        if repeated or set(seen) != set(expected):
            got = (f"pages of 3 repeat {repeated} and skip "
                   f"{sorted(set(expected) - set(seen))}")
        else:
            got = "order " + ", ".join(f"{by_price.get(pk)}#{pk}" for pk in seen)
        if [by_price.get(pk) for pk in seen] == [by_price[pk] for pk in expected]:
            hint = ("ties (same price) come back in whatever order PostgreSQL likes, and it "
                    "may differ from one page's query to the next: end the ordering with "
                    "the id, order_by(<key>, 'id') — the sample's StableOrderingFilter in "
                    "listings/filters.py.")
        else:
            hint = ("ordering=price_per_night sorts by price (ascending), -price_per_night "
                    "descending: an OrderingFilter in the FilterSet; ties broken by id.")
        raise Fail(expected=f"?ordering={key}, pages of 3 → price then id: "
                            + ", ".join(f"{by_price[pk]}#{pk}" for pk in expected[:6]) + " …",
                   got=got, hint=hint, look=LOOK_PAGES)


@contract("03.b2")
def list_queries_do_not_grow_with_rows(ctx: Context) -> None:
    """A page of 12 listings with 12 hosts costs the same number of queries as a page of 2."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    city = CITY["queries"]
    api = client(ctx)
    counts: list[int] = []
    queries: list[list[str]] = []
    for n, page_size in ((2, 50), (10, 60)):
        for _ in range(n):
            make_listing(make_user("host"), city=city)
        with CaptureQueriesContext(connection) as captured:
            status, _data, error = call(ctx, api, "get",
                                       f"{LISTINGS}?city={city}&page_size={page_size}")
        if status != 200:
            raise Fail(expected=f"GET {LISTINGS}?city={city} → 200", got=f"{status} {error}",
                       hint="read the error and the line it names.", look=LOOK_PAGES)
        counts.append(len(captured.captured_queries))
        queries.append([q["sql"] for q in captured.captured_queries])
    if counts[1] > counts[0]:
        repeated = re.sub(r"\s+", " ", max(set(queries[1]), key=queries[1].count))
        raise Fail(expected=f"the same number of queries for 2 and for 12 listings "
                            f"({counts[0]})",
                   got=f"{counts[0]} queries for 2 listings, {counts[1]} for 12; repeated: "
                       f"{_short(repeated, 120)}",
                   hint="the nested host is loaded one query per listing (N+1): fetch it in "
                        "the same query, select_related('host') on the viewset's queryset.",
                   look="lesson 02, §5 'The N+1 problem, measured'; lesson 03, §1 'Output: "
                        "nested serializers'")


# --- 03.b3 bookings: a validated booking request -------------------------------------------------
def _booking_setup(ctx: Context):
    from django.utils import timezone

    host, guest = make_user("host"), make_user("guest")
    listing = make_listing(host, city=CITY["bookings"], price_per_night=Decimal("1500.00"),
                           max_guests=3)
    return guest, listing, timezone.localdate()


@contract("03.b3")
def a_good_booking_is_created(ctx: Context) -> None:
    """POST /api/bookings/ as a guest → 201, priced nights × rate; the client can't set the
    price or the status; anonymous → 401/403."""
    booking_model = _model("bookings", "Booking")
    guest, listing, today = _booking_setup(ctx)
    body = {"listing": listing.pk, "check_in": str(today + timedelta(days=30)),
            "check_out": str(today + timedelta(days=33)), "guests": 2}
    response = ctx.post(BOOKINGS, json=body)
    if response.status_code not in (401, 403):
        raise Fail(expected="POST /api/bookings/ without logging in → 401 or 403",
                   got=f"{response.status_code}" + (ctx.server_error()
                                                    if response.status_code >= 500 else ""),
                   hint="register a BookingViewSet at 'bookings' on the router, with "
                        "permission_classes = [IsAuthenticated]: only a logged-in guest books.",
                   look=LOOK_BOOKINGS)
    status, data, error = call(ctx, client(ctx, guest), "post", BOOKINGS,
                               {**body, "total_price": "1.00", "status": "confirmed"})
    booking = booking_model.objects.filter(listing=listing).first()
    if status != 201 or booking is None:
        raise Fail(expected=f"POST {_short(body, 120)} as a guest → 201, the booking saved",
                   got=f"{status} {error or _short(data)}",
                   hint="create() validates with an input serializer (listing, check_in, "
                        "check_out, guests), books with the logged-in user as guest, answers "
                        "201 with the booking (bookings/views.py, bookings/serializers.py).",
                   look=LOOK_BOOKINGS)
    shown = {k: data.get(k) for k in ("check_in", "check_out")} if isinstance(data, dict) else {}
    total = _decimal(data.get("total_price")) if isinstance(data, dict) else None
    if (booking.total_price != Decimal("4500.00") or total != Decimal("4500.00")
            or str(getattr(booking, "status", "pending")) != "pending"):
        raise Fail(expected="3 nights × 1500.00 → total_price 4500.00, status pending "
                            "(the client sent total_price 1.00 and status confirmed)",
                   got=f"saved total_price {booking.total_price}, status "
                       f"{getattr(booking, 'status', '?')}; shown {total}",
                   hint="the price and the status are the server's: the input serializer "
                        "accepts listing, check_in, check_out and guests only, and the "
                        "booking's price is computed when it is made.",
                   look=LOOK_SERIALIZERS)
    if booking.guest_id != guest.pk or shown != {k: body[k] for k in shown} or not shown:
        raise Fail(expected=f"the booking of guest {guest.pk} with its dates, shown in the 201",
                   got=f"guest {booking.guest_id}, {_short(data)}",
                   hint="save with guest=request.user and answer with an output serializer.",
                   look=LOOK_SERIALIZERS)


@contract("03.b3")
def bad_booking_requests_are_400_with_field_errors(ctx: Context) -> None:
    """Every broken rule of a booking request is a 400 naming its field, and saves nothing."""
    booking_model = _model("bookings", "Booking")
    guest, listing, today = _booking_setup(ctx)
    closed = make_listing(listing.host, city=CITY["bookings"], is_active=False)
    day = lambda n: str(today + timedelta(days=n))  # noqa: E731
    good = {"listing": listing.pk, "check_in": day(40), "check_out": day(42), "guests": 2}
    cases = [
        ("check-out before check-in", {"check_out": day(38)}, "check_out",
         "check_out must be after check_in"),
        ("a stay of zero nights", {"check_out": day(40)}, "check_out",
         "check_out must be after check_in"),
        ("check-in in the past", {"check_in": day(-2), "check_out": day(1)}, "check_in",
         "check-in cannot be in the past (timezone.localdate())"),
        ("no guests", {"guests": 0}, "guests", "at least one guest"),
        ("more guests than the listing takes", {"guests": 4}, "guests",
         "at most the listing's max_guests"),
        ("a listing that does not exist", {"listing": 987654321}, "listing",
         "an unknown listing id"),
        ("an inactive listing", {"listing": closed.pk}, "listing",
         "an inactive listing takes no bookings"),
        ("a date that does not exist", {"check_in": "2031-02-30"}, "check_in",
         "a date field"),
    ]
    api = client(ctx, guest)
    for what, change, field, rule in cases:
        body = {**good, **change}
        status, data, error = call(ctx, api, "post", BOOKINGS, body)
        saved = booking_model.objects.filter(guest=guest).exists()
        if status == 400 and isinstance(data, dict) and field in data and not saved:
            continue
        if status == 500 and error.startswith("ValidationError"):
            hint = ("the service raised Django's ValidationError, which DRF's own handler "
                    "doesn't know, so it became a 500: set REST_FRAMEWORK's "
                    "EXCEPTION_HANDLER to a handler that turns it into a 400 per field "
                    "(config/exceptions.py).")
        elif status == 500:
            hint = (f"{rule}: check it before saving and raise a ValidationError — in the "
                    f"input serializer (validate()) or in the service. Left to the database, "
                    f"a refused row is an IntegrityError or DataError: a 500.")
        elif status == 400:
            hint = (f"report it under the field it is about, {{\"{field}\": [...]}}, so a "
                    f"client can show it next to that input: ValidationError({{\"{field}\": "
                    f"...}}).")
        else:
            hint = f"{rule}: the booking must be refused with a 400, and nothing saved."
        raise Fail(expected=f"{what} → 400 {{\"{field}\": [...]}}, nothing saved",
                   got=f"{status} {error or _short(data)}" + (" (saved)" if saved else ""),
                   hint=hint, look=LOOK_ERRORS)
    status, data, error = call(ctx, api, "post", BOOKINGS, {})
    wanted = {"listing", "check_in", "check_out", "guests"}
    if status != 400 or not (isinstance(data, dict) and wanted <= set(data)):
        raise Fail(expected="an empty request → 400 naming listing, check_in, check_out, guests",
                   got=f"{status} {error or _short(data)}",
                   hint="every field of the input serializer is required.",
                   look=LOOK_SERIALIZERS)


@contract("03.b3")
def overlapping_stays_are_a_409(ctx: Context) -> None:
    """Booking nights that are taken → 409 Conflict, not a 500 or a second booking."""
    guest, listing, today = _booking_setup(ctx)
    other = make_user("guest")
    first = {"listing": listing.pk, "check_in": str(today + timedelta(days=50)),
             "check_out": str(today + timedelta(days=54)), "guests": 1}
    status, data, error = call(ctx, client(ctx, guest), "post", BOOKINGS, first)
    if status != 201:
        raise Fail(expected=f"POST {_short(first, 120)} → 201", got=f"{status} {error}",
                   hint="see the first contract of this step.", look=LOOK_BOOKINGS)
    overlap = {**first, "check_in": str(today + timedelta(days=52)),
               "check_out": str(today + timedelta(days=56))}
    status, data, error = call(ctx, client(ctx, other), "post", BOOKINGS, overlap)
    if status != 409:
        raise Fail(expected="nights 52–56 when 50–54 are booked → 409 Conflict",
                   got=f"{status} {error or _short(data)}",
                   hint="the database's exclusion constraint refuses the row (lesson 02); the "
                        "service turns its IntegrityError into a ConflictError, and the "
                        "exception handler (config/exceptions.py) answers 409 — the request "
                        "is valid, the calendar refuses it.",
                   look=LOOK_ERRORS)


# --- 03.b4 the OpenAPI schema and Swagger UI -----------------------------------------------------
def _openapi(response) -> dict | None:
    import yaml

    try:
        document = yaml.safe_load(response.text)
    except yaml.YAMLError:
        return None
    return document if isinstance(document, dict) and "paths" in document else None


def _resolve(document: dict, schema: Any) -> dict:
    while isinstance(schema, dict) and "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema = node
    return schema if isinstance(schema, dict) else {}


@contract("03.b4")
def the_schema_describes_the_api(ctx: Context) -> None:
    """GET /api/schema/ → an OpenAPI 3 document: the listings paths, their page parameters,
    a paginated response."""
    response = ctx.get(SCHEMA)
    document = _openapi(response) if response.status_code == 200 else None
    if document is None:
        if response.status_code == 404:
            hint = ("serve the schema: path('api/schema/', SpectacularAPIView.as_view(), "
                    "name='api-schema') in config/urls.py (drf-spectacular, "
                    "'drf_spectacular' in INSTALLED_APPS).")
        elif response.status_code >= 500:
            hint = ("drf-spectacular builds the schema from every view: read the error and "
                    "the line it names. REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS must be "
                    "'drf_spectacular.openapi.AutoSchema'.")
        else:
            hint = "the schema is public: SpectacularAPIView at api/schema/ in config/urls.py."
        got = f"{response.status_code} {response.headers.get('Content-Type', '')}"
        raise Fail(expected=f"GET {SCHEMA} → 200, an OpenAPI 3 document",
                   got=got + (ctx.server_error() if response.status_code >= 500 else ""),
                   hint=hint, look=LOOK_DOCS)
    version = str(document.get("openapi", ""))
    paths = document.get("paths") or {}
    detail = next((p for p in paths if re.fullmatch(r"/api/listings/\{\w+\}/", p)), None)
    if not version.startswith("3.") or LISTINGS not in paths or detail is None:
        raise Fail(expected=f"openapi 3.x with paths {LISTINGS} and {LISTINGS}{{id}}/",
                   got=f"openapi {version or '?'}, paths {sorted(paths)[:8]}",
                   hint="drf-spectacular documents the router's views: REST_FRAMEWORK's "
                        "DEFAULT_SCHEMA_CLASS = 'drf_spectacular.openapi.AutoSchema'.",
                   look=LOOK_DOCS)
    listing_list = (paths[LISTINGS] or {}).get("get") or {}
    names = {p.get("name") for p in listing_list.get("parameters", []) if isinstance(p, dict)}
    ok = _resolve(document, ((listing_list.get("responses") or {}).get("200") or {})
                  .get("content", {}).get("application/json", {}).get("schema"))
    if not {"page", "page_size", "city"} <= names or "results" not in ok.get("properties", {}):
        raise Fail(expected=f"GET {LISTINGS} documented with its parameters page, page_size, "
                            f"city… and a paginated 200 (count, results)",
                   got=f"parameters {sorted(n for n in names if n)}; 200 properties "
                       f"{sorted(ok.get('properties', {}))}",
                   hint="drf-spectacular reads them from the view: the pagination class and "
                        "filterset_class on the viewset (not parameters parsed by hand in "
                        "list()), and the serializer it returns.",
                   look=LOOK_DOCS)


_URLS = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_SCHEMA_URL = re.compile(r"""\burl\s*:\s*("(?:[^"\\]|\\.)*")""")


@contract("03.b4")
def swagger_ui_works_offline(ctx: Context) -> None:
    """GET /api/docs/ → Swagger UI whose scripts, styles and schema all come from the
    project's own server (no CDN)."""
    response = ctx.get(DOCS)
    page = response.text if response.status_code == 200 else ""
    if "swagger" not in page.lower():
        raise Fail(expected=f"GET {DOCS} → 200, the Swagger UI page",
                   got=f"{response.status_code} {response.headers.get('Content-Type', '')}"
                       + (ctx.server_error() if response.status_code >= 500 else ""),
                   hint="path('api/docs/', SpectacularSwaggerView.as_view(url_name="
                        "'api-schema'), name='api-docs') in config/urls.py.",
                   look=LOOK_DOCS)
    base = urlsplit(ctx.url("/"))
    links = _URLS.findall(page)
    foreign = [u for u in links if urlsplit(u).netloc and urlsplit(u).netloc != base.netloc]
    if foreign:
        raise Fail(expected="every script, stylesheet and icon of the page from this server",
                   got="it loads " + ", ".join(foreign[:3]),
                   hint="by default drf-spectacular points Swagger UI at a CDN: the docs "
                        "break offline and run a third party's script on your pages. Serve "
                        "them yourself: SPECTACULAR_SETTINGS SWAGGER_UI_DIST = 'SIDECAR' "
                        "and SWAGGER_UI_FAVICON_HREF = 'SIDECAR', with "
                        "'drf_spectacular_sidecar' in INSTALLED_APPS.",
                   look=LOOK_DOCS)
    assets = [u for u in links if u.endswith((".js", ".css"))]
    for asset in assets:
        loaded = ctx.get(urlsplit(asset).path)
        if loaded.status_code == 200 and loaded.content:
            continue
        from django.contrib.staticfiles import finders

        name = urlsplit(asset).path.split("/static/", 1)[-1]
        if finders.find(name) is None:
            hint = ("the file is in no app's static folder: add 'drf_spectacular_sidecar' to "
                    "INSTALLED_APPS (the package that ships Swagger UI's files).")
        else:
            hint = ("gunicorn serves no static files by itself (runserver does, in DEBUG): "
                    "add WhiteNoise's middleware, 'whitenoise.middleware.WhiteNoiseMiddleware' "
                    "right after SecurityMiddleware, as the sample's base.py does.")
        raise Fail(expected=f"{asset} → 200 (Swagger UI's own files, from this server)",
                   got=f"{loaded.status_code}", hint=hint, look=LOOK_DOCS)
    if not assets:
        raise Fail(expected="the page loads Swagger UI's script and stylesheet",
                   got="no <script src> or stylesheet in the page",
                   hint="use drf-spectacular's SpectacularSwaggerView.", look=LOOK_DOCS)
    found = _SCHEMA_URL.search(page)
    url = json.loads(found.group(1)) if found else ""
    schema = ctx.get(urlsplit(url).path) if url else None
    if schema is None or schema.status_code != 200 or _openapi(schema) is None:
        raise Fail(expected="the page loads the schema from this server",
                   got=f"schema url {url!r} → "
                       f"{schema.status_code if schema is not None else 'none in the page'}",
                   hint="SpectacularSwaggerView(url_name='api-schema') names the schema's URL.",
                   look=LOOK_DOCS)
