"""The sandbox merchant's keys and settings. Test keys only: they work nowhere but here.

The keys follow Chapa's formats so client code that checks a key's shape behaves as it would with
real ones; ``LIVE_SECRET_KEY`` exists only so lessons can show Chapa's live/test mode errors.
"""

from __future__ import annotations

TEST_SECRET_KEY = "CHASECK_TEST-nexusSandboxTestSecretKey0001"
TEST_PUBLIC_KEY = "CHAPUBK_TEST-nexusSandboxTestPublicKey0001"
#: A live-mode key for the sandbox merchant (not a real Chapa key): initialize works, paying a
#: live transaction in the sandbox does not, and verify mixes of modes fail as on Chapa.
LIVE_SECRET_KEY = "CHASECK-SANDBOX-nexus-live-mode-0001"
#: The merchant's webhook secret hash K: webhooks carry HMAC-SHA256(K, body) and HMAC(K, K).
WEBHOOK_SECRET = "nexus-sandbox-webhook-secret"

KEYS = {TEST_SECRET_KEY: "test", LIVE_SECRET_KEY: "live"}

#: Test instruments Chapa's test mode accepts; every other number fails.
TEST_CARDS = {
    "4200000000000000": {"brand": "Visa", "cvv": "123"},
    "3700000000000000": {"brand": "Amex", "cvv": "1234"},
    "5400000000000000": {"brand": "Mastercard", "cvv": None},  # any CVV
}
TEST_CARD_EXPIRY = "12/34"
TEST_MOBILE_NUMBERS = {
    "0900123456": "telebirr",
    "0900112233": "cbebirr",
    "0900881111": "mpesa",
}
TEST_OTP = "12345"

#: Chapa retries a webhook every 10 minutes, 10 attempts; the sandbox keeps the shape with a
#: configurable interval (seconds) so a lesson sees retries in seconds, not hours.
WEBHOOK_ATTEMPTS = 10
DEFAULT_RETRY_INTERVAL = 2.0
#: Chapa's fee in test mode, as a fraction of the amount (shown as ``charge``).
CHARGE_RATE = 0.035
