"""Checking that a webhook really comes from Chapa.

Chapa signs each webhook with the merchant's webhook secret K in two headers:
``x-chapa-signature`` = HMAC-SHA256(K, the exact request body) and ``Chapa-Signature`` =
HMAC-SHA256(K, K). The second is the same on every webhook — anyone who has seen one can
attach it to a forged body — so only the first proves anything, and only over the raw bytes.
"""

from __future__ import annotations

import hashlib
import hmac


def expected_signature(*, body: bytes, secret: str) -> str:
    """The hex HMAC-SHA256 Chapa puts in ``x-chapa-signature`` for ``body``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(*, body: bytes, signature: str | None, secret: str) -> bool:
    """True if ``signature`` is the body-bound HMAC of ``body`` (constant-time compare).

    ``body`` must be ``request.body`` as received: parsing and re-serialising JSON changes the
    bytes (spacing, key order, number format) and the signature no longer matches.
    """
    if not signature or not secret or not signature.isascii():
        # A hex digest is ASCII; compare_digest raises TypeError for a str that isn't.
        return False
    return hmac.compare_digest(expected_signature(body=body, secret=secret), signature.strip())
