"""HTTP the way a lesson reads it: the request line, the status, sorted JSON; and JWT headers.

    response = requests.get(server.url("/api/listings/"), params={"city": "gondar"})
    nexus.show(response, fields=["id", "title"])
    requests.get(server.url("/api/auth/me/"), headers=nexus.auth_headers(user))

Everything printed is deterministic: JSON keys are sorted, and ``fields`` keeps only the keys
that don't change between runs (leave out ``created_at``, tokens and new ids).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

__all__ = ["auth_headers", "pick", "request_line", "show"]


def pick(data: Any, fields: Iterable[str] | None) -> Any:
    """``data`` with only ``fields`` kept: of a dict, of each dict in a list or in ``results``."""
    if fields is None:
        return data
    fields = list(fields)
    if isinstance(data, list):
        return [pick(item, fields) for item in data]
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        return {**data, "results": pick(data["results"], fields)}
    if isinstance(data, dict):
        return {key: value for key, value in data.items() if key in fields}
    return data


def _request_of(response: Any) -> Any:
    """The request behind a ``requests`` response, a test client's or a directly called view's."""
    context = getattr(response, "renderer_context", None) or {}
    return context.get("request") or getattr(response, "wsgi_request", None) \
        or getattr(response, "request", None)


def request_line(response: Any, *, path: str | None = None) -> str:
    """``GET /api/listings/?city=gondar → 200 OK`` for a ``requests`` or a DRF response.

    ``path`` replaces the real path, e.g. to hide an id that differs from run to run.
    """
    try:
        outcome = f"{response.status_code} {HTTPStatus(response.status_code).phrase}"
    except ValueError:
        outcome = str(response.status_code)
    request = _request_of(response)
    if path is None and hasattr(request, "get_full_path"):  # Django/DRF request
        path = request.get_full_path()
    elif path is None and hasattr(request, "url"):  # requests.PreparedRequest
        url = urlsplit(request.url)
        path = url.path + (f"?{url.query}" if url.query else "")
    if path is None or not hasattr(request, "method"):
        return f"→ {outcome}"
    return f"{request.method} {path} → {outcome}"


def _body(response: Any) -> Any:
    """The response's JSON as Python data (``requests``: parsed; DRF: ``.data``)."""
    if hasattr(response, "data") and not hasattr(response, "iter_content"):
        return response.data
    return response.json()


def show(response: Any, *, fields: Iterable[str] | None = None, body: bool = True,
         path: str | None = None) -> None:
    """Print the request line, the status and the JSON body (sorted keys, 2-space indent).

    ``fields`` keeps only those keys (of the object, or of each item of a page's ``results``);
    ``body=False`` prints the request line only; a body that is not JSON, its content type.
    ``path`` is printed instead of the real path (``/api/bookings/<new id>/cancel/``).
    """
    print(request_line(response, path=path))
    if not body or response.status_code == HTTPStatus.NO_CONTENT:
        return
    try:
        data = _body(response)
    except ValueError:
        print(f"({response.headers.get('Content-Type', 'no content type')})")
        return
    print(json.dumps(pick(data, fields), indent=2, sort_keys=True, ensure_ascii=False,
                     default=str))


def auth_headers(user: Any) -> dict[str, str]:
    """``{"Authorization": "Bearer <access token>"}`` that authenticates as ``user``.

    ``user`` is a user or a username. The token is a simplejwt access token signed with the
    project's settings (``AccessToken.for_user``), the kind ``/api/auth/jwt/`` hands out at login.
    """
    from rest_framework_simplejwt.tokens import AccessToken

    if isinstance(user, str):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(username=user)
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}
