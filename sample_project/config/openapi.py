"""Error responses shared by the OpenAPI docs of every endpoint (drf-spectacular).

Each helper returns an ``OpenApiResponse`` with a realistic example, so Swagger UI
shows clients exactly what a 400, 401, 403, 404, 409 or 429 looks like.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

# {"detail": "..."}: DRF's shape for every error that is not about a specific field.
ErrorSerializer = inline_serializer(
    name="Error",
    fields={"detail": serializers.CharField()},
)
# {"detail": "...", "code": "..."}: a 409, with a machine-readable code to branch on.
ConflictSerializer = inline_serializer(
    name="ConflictError",
    fields={"detail": serializers.CharField(), "code": serializers.CharField()},
)


def validation_error(example: dict, description: str = "Invalid input") -> OpenApiResponse:
    """A 400: a list of messages per field (``non_field_errors`` for the rest)."""
    return OpenApiResponse(
        response=OpenApiTypes.OBJECT,
        description=f"{description}: one list of messages per field.",
        examples=[OpenApiExample("Field errors", value=example, status_codes=["400"])],
    )


def conflict(example: dict, description: str) -> OpenApiResponse:
    """A 409: the request is valid, the current state refuses it."""
    return OpenApiResponse(
        response=ConflictSerializer,
        description=description,
        examples=[OpenApiExample(example["code"], value=example, status_codes=["409"])],
    )


def _detail(status: int, description: str, detail: str) -> OpenApiResponse:
    return OpenApiResponse(
        response=ErrorSerializer,
        description=description,
        examples=[
            OpenApiExample(description, value={"detail": detail}, status_codes=[str(status)])
        ],
    )


UNAUTHORIZED = _detail(
    401, "Not logged in", "Authentication credentials were not provided."
)
FORBIDDEN = _detail(
    403, "Logged in, but not allowed", "You do not have permission to perform this action."
)
NOT_FOUND = _detail(404, "No such object, or not yours to see", "Not found.")
THROTTLED = _detail(
    429, "Too many requests; retry after the Retry-After header's seconds",
    "Request was throttled. Expected available in 42 seconds.",
)
