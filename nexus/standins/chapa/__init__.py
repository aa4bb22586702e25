"""The Chapa sandbox: a local stand-in for api.chapa.co in test mode (``shared/CHAPA_CONTRACT.md``).

Three modules carry the name "chapa"; this package is the *gateway*. :mod:`nexus.services.chapa`
is the toolkit's start/stop wrapper for it (``nexus up``, service ``chapa``), and the sample
project's ``payments/chapa.py`` is the merchant's HTTP client, which reaches whatever
``CHAPA_BASE_URL`` names — this sandbox in the course, Chapa itself with real keys.

The server's parts by role, each importing only modules below it:

- ``server`` — HTTP: one router, request parsing, ``main()`` (``python -m nexus.standins.chapa``);
- ``api`` — the gateway's rules: validation, verify answers, judging payments, what is owed;
- ``checkout`` — the hosted checkout page (HTML);
- ``deliveries`` — sending callbacks and signed webhooks, each on its own, with retries;
- ``store`` — all SQL (state in ``.nexus/chapa/sandbox.sqlite3``);
- ``config`` — the merchant's keys, the test instruments, the retry schedule.

Not part of the server: :mod:`nexus.sandbox`, the course's client of its ``/_sandbox/``
endpoints (used by notebooks, tests and ``nexus chapa``), and :mod:`nexus.services.chapa`, which
starts and stops it.
"""
