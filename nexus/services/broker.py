"""The Celery broker: the embedded Redis (database 2) by default, or ``CELERY_BROKER_URL``.

Nothing to start of its own in the embedded profile; in the external profile it is usually
RabbitMQ (``amqp://guest:guest@127.0.0.1:5672//``), probed over AMQP.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from nexus.services.base import Service, ServiceStatus
from nexus.services.redis import BROKER_DB
from nexus.services.redis import SERVICE as REDIS


def _address(url: str) -> str:
    parts = urlsplit(url)
    default = 5672 if parts.scheme.startswith("amqp") else 6379
    return f"{parts.scheme}://{parts.hostname}:{parts.port or default}"


class Broker(Service):
    name = "broker"
    env_var = "CELERY_BROKER_URL"
    depends_on = ("redis",)
    summary = "Celery broker — the embedded Redis, or RabbitMQ via CELERY_BROKER_URL"

    @property
    def profile(self) -> str:
        """External when either the broker URL or the Redis it defaults to is the learner's."""
        return "external" if self.external_url or REDIS.profile == "external" else "embedded"

    def url(self) -> str:
        """The broker URL Celery should use."""
        return self.external_url or REDIS.url(BROKER_DB)

    def start(self) -> None:
        if not self.external_url:
            REDIS.start()

    def stop(self) -> None:
        """The embedded broker is Redis: stopping Redis stops it."""

    def environment(self) -> dict[str, str]:
        return {"CELERY_BROKER_URL": self.url()}

    def status(self) -> ServiceStatus:
        if not self.external_url:  # the broker is a database of the Redis service
            redis_state = REDIS.status()
            address = f"{redis_state.address} db {BROKER_DB}" if redis_state.up else "-"
            return ServiceStatus(
                self.name, self.profile, address, redis_state.version, redis_state.up,
                redis_state.detail, redis_state.source,
            )
        from kombu import Connection

        url = self.url()
        try:
            with Connection(url, connect_timeout=3) as conn:
                conn.ensure_connection(max_retries=1, timeout=3)
                props = getattr(conn.connection, "server_properties", None) or {}
                product = props.get("product", "")
                version = props.get("version", "")
                if isinstance(product, bytes):
                    product = product.decode()
                if isinstance(version, bytes):
                    version = version.decode()
                label = f"{product} {version}".strip() or conn.transport_cls
        except Exception as exc:  # kombu raises many transport-specific errors
            return ServiceStatus(self.name, "external", _address(url), "-", False, str(exc))
        return ServiceStatus(self.name, "external", _address(url), label, True)


SERVICE = Broker()
