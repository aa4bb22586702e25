"""The GraphQL schema: every app's queries and mutations merged into one, served at /graphql.

Each app declares its types and root fields in ``<app>/graphql.py``; this module combines them
and adds the extensions that apply to every operation:

* ``ClientErrors`` — Django errors become GraphQL errors with a code (config.graphql_errors);
* ``MaxTokensLimiter`` — the parser stops after GRAPHQL_MAX_TOKENS tokens, so no rule
  (graphql-core's own included) ever sees a document larger than that;
* ``QueryLimiter`` (config.graphql_limits) — a query nested deeper than GRAPHQL_MAX_DEPTH,
  asking for more than GRAPHQL_MAX_ALIASES renamed fields, or for more than
  GRAPHQL_MAX_SELECTIONS fields once its fragments are expanded, is refused before it runs.
  One request can ask for a lot: types that point at each other (a review's listing's
  reviews' listing…), the same list under fifty aliases, or fragments that spread each other
  twice make a few lines of query cost the server minutes. The check itself costs time
  linear in the query's size (strawberry's own limiters re-walk every fragment spread);
* ``DjangoOptimizerExtension`` — looks at the fields a query asks for and adds the
  ``select_related``/``prefetch_related``/``only`` that fetch them, so nesting doesn't cost a
  query per row (the N+1 problem, lesson 08).
"""

import strawberry
from django.conf import settings
from strawberry.extensions import MaxTokensLimiter
from strawberry.tools import merge_types
from strawberry_django.optimizer import DjangoOptimizerExtension

from bookings.graphql import BookingMutations, BookingQueries, ListingQueries
from config.graphql_errors import ClientErrors, client_error
from config.graphql_limits import QueryLimiter
from wishlists.graphql import WishlistMutations, WishlistQueries

Query = merge_types("Query", (ListingQueries, BookingQueries, WishlistQueries))
Mutation = merge_types("Mutation", (BookingMutations, WishlistMutations))


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Log only the errors that are bugs; bad input or a missing login is no incident."""
        unexpected = [error for error in errors if client_error(error) is None]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(*, optimizer: bool = True, max_depth: int | None = None) -> Schema:
    """The project's schema; the arguments exist for the lesson, to show what each part does."""
    depth = max_depth or settings.GRAPHQL_MAX_DEPTH
    # Classes or factories: strawberry makes fresh extension objects for every request.
    extensions = [
        ClientErrors,
        lambda: MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS),
        lambda: QueryLimiter(max_depth=depth, max_aliases=settings.GRAPHQL_MAX_ALIASES,
                             max_selections=settings.GRAPHQL_MAX_SELECTIONS),
    ]
    if optimizer:
        extensions.append(DjangoOptimizerExtension)
    return Schema(query=Query, mutation=Mutation, extensions=extensions)


schema = build_schema()
