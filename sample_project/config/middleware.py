"""Project middleware: requests refused before any view can trip over them.

``RejectNulBytesMiddleware`` — a NUL byte (``%00``) in the path or in a query string value
can't be stored or even compared in PostgreSQL: psycopg refuses to send it ("PostgreSQL text
fields cannot contain NUL (0x00) bytes"), so every view that looks the value up answered 500.
No URL of ours has a use for one; refusing it here covers every view, present and future.
Bodies are the parsers' and serializers' business (DRF's CharField already refuses NULs).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin


class RejectNulBytesMiddleware(MiddlewareMixin):
    """400 for a request whose path or query string contains a NUL byte."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        if "\x00" in request.path or any(
                "\x00" in key or any("\x00" in value for value in values)
                for key, values in request.GET.lists()):
            return JsonResponse({"detail": "NUL bytes are not allowed in URLs.",
                                 "code": "nul_byte"}, status=400)
        return None
