"""ReDoc's JavaScript, served from this host without the one request it makes to another.

drf-spectacular-sidecar ships ReDoc's standalone bundle, so the docs page loads ReDoc from our
own static files. But ReDoc (2.x) draws "API docs by Redocly" under its side menu with a logo
``<img src="https://cdn.redoc.ly/redoc/logo-mini.svg">``, on every page and with no option to
leave it out (``SideMenu.tsx`` and ``Logo.tsx`` in Redocly/redoc's ``src/components/SideMenu/``;
drf-spectacular-sidecar's issue #11 asks for a local logo). Offline that request fails
in the browser's console; online it tells Redocly who reads our docs. So the bundle the page
loads is the sidecar's with that URL emptied: an ``<img>`` with an empty ``src`` fetches
nothing and fires its error event, and the logo's own error handler (written for a CDN that
can't be reached) then leaves it out. The "API docs by Redocly" link stays.

``SPECTACULAR_SETTINGS["REDOC_DIST"]`` points drf-spectacular's ReDoc page here.
"""

import functools
import hashlib
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import etag, require_GET

SIDECAR_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
REDOCLY_LOGO = b'"https://cdn.redoc.ly/redoc/logo-mini.svg"'


@functools.cache
def redoc_standalone() -> bytes:
    """The sidecar's ReDoc bundle with the Redocly logo's CDN URL replaced by ``""``."""
    found = finders.find(SIDECAR_BUNDLE)
    if found is None:
        raise FileNotFoundError(f"{SIDECAR_BUNDLE} is in no static files folder: "
                                "is drf_spectacular_sidecar in INSTALLED_APPS?")
    return Path(found).read_bytes().replace(REDOCLY_LOGO, b'""')


@functools.cache
def _fingerprint() -> str:
    return hashlib.sha256(redoc_standalone()).hexdigest()[:16]


@require_GET
@etag(lambda request: _fingerprint())  # a browser revalidates and gets 304 until it changes
def redoc_bundle(request: HttpRequest) -> HttpResponse:
    """``redoc.standalone.js`` for the ReDoc page (see the module's docstring)."""
    return HttpResponse(redoc_standalone(), content_type="text/javascript; charset=utf-8")
