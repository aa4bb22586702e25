"""Lesson 03's wrong projects (see ``wrong_projects.py``)."""

from __future__ import annotations

from .wrong_projects import Wrong

BASE = "config/settings/base.py"
URLS = "config/urls.py"
LISTING_VIEWS = "listings/views.py"
LISTING_SERIALIZERS = "listings/serializers.py"
FILTERS = "listings/filters.py"
PAGINATION = "config/pagination.py"
SERVICES = "bookings/services.py"

WRONG: list[Wrong] = [
    # --- 03.b1 the listings API -------------------------------------------------------------------
    Wrong("03.b1", "the router is never included in the root URLconf",
          {URLS: [('    path("api/", include("config.api_router")),\n', "")]},
          hint="include('config.api_router')"),
    Wrong("03.b1", "list() overridden without paginating (a bare JSON list of every row)",
          {LISTING_VIEWS: [
              ("        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))\n"
               "        return self.get_paginated_response(listing_cards(page))",
               "        return Response(listing_cards(self.filter_queryset(self.get_queryset())))"),
          ]},
          hint="self.paginate_queryset()"),
    Wrong("03.b1", "inactive listings in the public catalogue",
          {"listings/selectors.py": [
              ("return _with_summary(Listing.objects.filter(is_active=True))",
               "return _with_summary(Listing.objects.all())"),
          ]},
          hint="filters is_active=True"),
    Wrong("03.b1", "the nested host shows its email",
          {LISTING_SERIALIZERS: [
              ('    """The public face of a host: no email, no role, nothing private."""\n\n'
               '    class Meta:\n        model = User\n        fields = ["id", "username"]',
               '    """The public face of a host."""\n\n'
               '    class Meta:\n        model = User\n'
               '        fields = ["id", "username", "email"]'),
          ]},
          hint="never '__all__'"),
    Wrong("03.b1", "create() hands request.data to the service, with no input serializer",
          {LISTING_VIEWS: [
              ("        data = ListingInputSerializer(data=request.data)\n"
               "        data.is_valid(raise_exception=True)\n"
               "        listing = listing_create(host=request.user, **data.validated_data)",
               "        listing = listing_create(host=request.user, **request.data)"),
          ]},
          hint="validate the request with an input serializer"),
    Wrong("03.b1", "the host is an input field: a client can publish in another host's name",
          {LISTING_SERIALIZERS: [
              ("        fields = LISTING_EDITABLE_FIELDS  #",
               '        fields = [*LISTING_EDITABLE_FIELDS, "host"]  #'),
          ],
           LISTING_VIEWS: [
              ("listing = listing_create(host=request.user, **data.validated_data)",
               "listing = listing_create(**data.validated_data)"),
          ]},
          hint="never taken from the request"),
    # --- 03.b2 filters, ordering, pages, queries --------------------------------------------------
    Wrong("03.b2", "max_price excludes its bound (lt instead of lte)",
          {FILTERS: [('field_name="price_per_night", lookup_expr="lte"',
                      'field_name="price_per_night", lookup_expr="lt"')]},
          hint="include their bound"),
    Wrong("03.b2", "min_price never declared (django-filter ignores it)",
          {FILTERS: [('    min_price = filters.NumberFilter(\n'
                      '        field_name="price_per_night", lookup_expr="gte", min_value=0,\n'
                      '        max_digits=10, decimal_places=2,\n'
                      '        help_text="Lowest price per night, ETB.",\n    )\n', "")]},
          hint="min_price had no effect"),
    Wrong("03.b2", "guests matches the exact capacity, not at least",
          {FILTERS: [('field_name="max_guests", lookup_expr="gte"',
                      'field_name="max_guests", lookup_expr="exact"')]},
          hint="at least that many guests"),
    Wrong("03.b2", "no cap on the page size",
          {PAGINATION: [("    max_page_size = 100\n", "")]},
          hint="max_page_size = 100"),
    Wrong("03.b2", "clients can't choose a page size",
          {PAGINATION: [('    page_size_query_param = "page_size"\n', "")]},
          hint="page_size_query_param"),
    Wrong("03.b2", "ordering without a tie-breaker (pages repeat and skip tied listings)",
          {FILTERS: [('return qs.order_by(*order_by, "id")', "return qs.order_by(*order_by)")]},
          hint="end the ordering with the id"),
    Wrong("03.b2", "the nested host loaded one query per listing (no select_related)",
          {"listings/selectors.py": [('        listings.select_related("host")\n',
                                      "        listings\n")]},
          hint="select_related('host')"),
    # --- 03.b3 bookings: a validated booking request ----------------------------------------------
    Wrong("03.b3", "no exception handler: the service's ValidationError is a 500",
          {BASE: [('    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",\n', "")]},
          hint="EXCEPTION_HANDLER"),
    Wrong("03.b3", "check-out after check-in left to the database",
          {SERVICES: [('    if check_out <= check_in:\n'
                       '        errors["check_out"] = "Check-out must be after check-in."\n'
                       '    elif nights', "    if nights")]},
          hint="Left to the database"),
    Wrong("03.b3", "a check-in in the past is accepted",
          {SERVICES: [("    if check_in < timezone.localdate():\n"
                       '        errors["check_in"] = "Check-in cannot be in the past."\n', "")]},
          hint="cannot be in the past"),
    Wrong("03.b3", "more guests than the listing takes are accepted",
          {SERVICES: [("    elif guests > listing.max_guests:\n"
                       '        errors["guests"] = f"This listing accepts at most '
                       '{listing.max_guests} guests."\n', "")]},
          hint="at most the listing's max_guests"),
    Wrong("03.b3", "the overlap's IntegrityError is not translated (a 500)",
          {SERVICES: [("        if _violated_constraint(exc) == OVERLAP_CONSTRAINT:",
                       "        if False:")]},
          hint="answers 409"),
    # --- 03.b4 the OpenAPI schema and Swagger UI --------------------------------------------------
    Wrong("03.b4", "no schema URL",
          {URLS: [('    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),\n',
                   "")]},
          hint="SpectacularAPIView.as_view(), name='api-schema'"),
    Wrong("03.b4", "Swagger UI from a CDN (drf-spectacular's default)",
          {BASE: [('    "SWAGGER_UI_DIST": "SIDECAR",\n    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",\n',
                   "")]},
          hint="SWAGGER_UI_DIST = 'SIDECAR'"),
    Wrong("03.b4", "SIDECAR set but the sidecar app not installed",
          {BASE: [('    "drf_spectacular_sidecar",\n', "")]},
          hint="in no app's static folder"),
    Wrong("03.b4", "no WhiteNoise: gunicorn serves no static files",
          {BASE: [('    "whitenoise.middleware.WhiteNoiseMiddleware",\n', "")]},
          hint="WhiteNoise's middleware"),
    Wrong("03.b4", "DRF's own schema class (drf-spectacular can't read the views)",
          {BASE: [('    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",\n', "")]},
          hint="DEFAULT_SCHEMA_CLASS"),
]
