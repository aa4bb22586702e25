"""Stand-in servers: programs that play the part of systems outside the project.

Each one speaks the real protocol of what it stands in for: the Chapa gateway (HTTP, Chapa's v1
API), an SMTP server that keeps every message, a slow upstream API, a slow network link (any TCP
protocol, PostgreSQL's included). The Chapa sandbox and the
SMTP sink run as their own processes (``python -m nexus.standins.<name>``); nothing here starts
or stops them: the service wrappers in :mod:`nexus.services` do that, and notebooks and tests
reach them through those. The slow upstream and the slow link are different: each an asyncio
server in a thread of the process that opens it (``nexus.SlowUpstream``, ``nexus.SlowLink``),
gone with it.
"""
