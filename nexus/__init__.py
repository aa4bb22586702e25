"""Project Nexus Workbook — the course toolkit.

In a notebook, one call sets everything up::

    import nexus
    nexus.start("05")

Then ``nexus.mailbox()`` reads the mail the project sent, ``nexus.serve()`` and
``nexus.worker()`` run the project as a server and a Celery worker, and ``nexus.services`` knows
the servers. The names below are the toolkit's public face for notebooks and tests; the layers
behind them are described in ``nexus/README.md``.
"""

from __future__ import annotations

from nexus.bootstrap import start
from nexus.diagrams import er_diagram
from nexus.display import status_table, tree
from nexus.exercises import check
from nexus.http import auth_headers, show
from nexus.mail import mailbox
from nexus.proc import wait_until
from nexus.queries import captured_sql, count_queries
from nexus.redis_tools import hit_ratio, keyspace, private_redis
from nexus.server import serve
from nexus.standins.slow_link import SlowLink
from nexus.standins.slow_upstream import SlowUpstream
from nexus.worker import queue_length, worker

__all__ = [
    "SlowLink", "SlowUpstream", "auth_headers", "captured_sql", "check", "count_queries",
    "er_diagram", "hit_ratio", "keyspace", "mailbox", "private_redis", "queue_length", "serve",
    "show", "start", "status", "tree", "wait_until", "worker",
]


def status() -> None:
    """Print the services table: service, profile, address, server version, up/down."""
    from nexus import services

    print(status_table(services.status()))
