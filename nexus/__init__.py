"""Project Nexus Workbook — the course toolkit.

In a notebook, one call sets everything up::

    import nexus
    nexus.start("05")

Then ``nexus.mailbox()`` reads the mail the project sent, and ``nexus.services`` knows the servers.
"""

from __future__ import annotations

from nexus.bootstrap import start
from nexus.diagrams import er_diagram
from nexus.display import status_table, tree
from nexus.exercises import check
from nexus.http import show
from nexus.mail import mailbox
from nexus.queries import count_queries
from nexus.redis_tools import hit_ratio, private_redis
from nexus.server import serve
from nexus.worker import worker

__all__ = [
    "check", "count_queries", "er_diagram", "hit_ratio", "mailbox", "private_redis", "serve",
    "show", "start", "status", "tree", "worker",
]


def status() -> None:
    """Print the services table: service, profile, address, server version, up/down."""
    from nexus import services

    print(status_table(services.status()))
