"""Stand-in servers: programs that play the part of systems outside the project.

Each one runs as its own process (``python -m nexus.standins.<name>``) and speaks the real
protocol of what it stands in for: the Chapa gateway (HTTP, Chapa's v1 API), an SMTP server that
keeps every message, a slow upstream API. Nothing here starts or stops them: the service
wrappers in :mod:`nexus.services` do that, and notebooks and tests reach them through those.
"""
