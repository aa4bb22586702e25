"""How errors raised by services and selectors reach a GraphQL client.

The GraphQL twin of ``config.exceptions``. Services speak Django — ``ValidationError``,
``ConflictError``, ``PermissionDenied``, ``ObjectDoesNotExist`` — and the same exceptions
reach a GraphQL resolver. GraphQL has no status codes per field, so instead of 400/403/404/409
each error carries a machine-readable ``extensions.code`` (and, for bad input, the field
messages in the same shape REST's 400 body has)::

    {"message": "Check-out must be after check-in.", "path": ["createBooking"],
     "extensions": {"code": "BAD_USER_INPUT",
                    "fields": {"check_out": ["Check-out must be after check-in."]}}}

Anything else is a bug: its message is replaced by "Unexpected error." (an exception's text
can leak table names or data) and it is logged with its traceback, like a 500 would be.
"""

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from accounts.models import User
from config.exceptions import ConflictError

UNEXPECTED = "Unexpected error."


class NotAuthenticated(Exception):
    """The operation needs a logged-in user and the request carried no credentials."""

    def __init__(self, message: str = "Authentication credentials were not provided.") -> None:
        super().__init__(message)


def require_user(info: Info) -> User:
    """The authenticated user of the request, or ``NotAuthenticated`` (REST's 401)."""
    user = info.context.request.user
    if not user.is_authenticated:
        raise NotAuthenticated
    return user


def database_id(value: object) -> int | None:
    """A database id from a GraphQL ID, or None for one that can't be an id.

    ``str.isdigit()`` alone is not enough: it accepts '²' and '٣', which ``int()`` refuses
    (ValueError, an "Unexpected error."); only ASCII digits make an id.
    """
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() else None


def client_error(error: GraphQLError) -> GraphQLError | None:
    """``error`` with a code (and field messages) for the client; None if it is a bug."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return error  # the query itself is wrong: syntax, unknown field, a value of a wrong type
    if isinstance(original, ConflictError):
        message = original.messages[0]
        extensions: dict[str, Any] = {"code": "CONFLICT", "reason": original.code or "conflict"}
    elif isinstance(original, ValidationError):
        fields = original.message_dict if hasattr(original, "error_dict") else {
            "non_field_errors": original.messages}
        message = next(iter(fields.values()))[0]
        extensions = {"code": "BAD_USER_INPUT", "fields": fields}
    elif isinstance(original, NotAuthenticated):
        message, extensions = str(original), {"code": "UNAUTHENTICATED"}
    elif isinstance(original, PermissionDenied):
        message, extensions = str(original), {"code": "FORBIDDEN"}
    elif isinstance(original, ObjectDoesNotExist):
        message, extensions = str(original), {"code": "NOT_FOUND"}
    else:
        return None
    return GraphQLError(message, nodes=error.nodes, path=error.path, original_error=original,
                        extensions=extensions)


class ClientErrors(SchemaExtension):
    """Give every expected error a code; mask the rest (see the module's docstring)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        # A masked error keeps its original exception for the server's eyes (tests, logging);
        # only the message and the path reach the client.
        result.errors = [client_error(error) or GraphQLError(
            UNEXPECTED, nodes=error.nodes, path=error.path, original_error=error.original_error)
            for error in result.errors]
