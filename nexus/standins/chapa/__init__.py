"""A local sandbox that speaks Chapa's v1 API in test mode (see ``shared/CHAPA_CONTRACT.md``).

The sample project's payment client talks HTTP to ``CHAPA_BASE_URL``; in the course that is this
sandbox, started by ``nexus up`` (service ``chapa``) or on its own with ``nexus chapa serve``.
"""
