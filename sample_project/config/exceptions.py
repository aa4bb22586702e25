"""Errors the services raise, and how the API turns them into HTTP responses.

Services speak Django, not HTTP: they raise ``django.core.exceptions.ValidationError``
(bad input: a 400 with a message per field) or ``ConflictError`` (a valid request the
current state refuses: a 409). ``api_exception_handler`` is the one place that
translates them, so views stay free of try/except blocks and every endpoint answers
the same way.
"""

from django.core.exceptions import ValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler


class ConflictError(ValidationError):
    """The request is well formed but conflicts with the current state of a resource.

    E.g. the dates are already booked, or the booking is already cancelled. Raise it
    with a message and a ``code`` clients can branch on (``"booking_overlap"``); the API
    answers ``409 {"detail": message, "code": code}``. It subclasses ValidationError so
    code outside the API (a shell, a Celery task) can still treat it as invalid input.
    """


class Conflict(exceptions.APIException):
    """HTTP 409 Conflict — DRF ships no exception class for it."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, plus: ConflictError → 409, Django ValidationError → 400 per field.

    Anything else unhandled stays a 500 on purpose: an unexpected IntegrityError is a
    bug to fix, not an error to dress up as a 4xx.
    """
    if isinstance(exc, ConflictError):
        message = exc.messages[0]
        response = exception_handler(Conflict(message, code=exc.code), context)
        response.data = {"detail": message, "code": exc.code or Conflict.default_code}
        return response
    if isinstance(exc, ValidationError):
        # {"check_out": ["Check-out must be after check-in."]}, the same shape a
        # serializer's own errors have; a message without a field goes under
        # "non_field_errors".
        exc = exceptions.ValidationError(as_serializer_error(exc))
    return exception_handler(exc, context)
