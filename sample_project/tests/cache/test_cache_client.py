"""``config.cache``'s client: ``set_many`` stores each key with its expiry, as ``set`` does."""

import pytest
import redis
from django.conf import settings
from django.core.cache import cache


@pytest.fixture
def server():
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    yield client
    client.close()


def test_set_many_gives_every_key_its_timeout(server):
    cache.set_many({"card:1": {"id": 1}, "card:2": {"id": 2}}, timeout=300)
    assert cache.get_many(["card:1", "card:2"]) == {"card:1": {"id": 1}, "card:2": {"id": 2}}
    for key in ("card:1", "card:2"):
        assert 290 < server.ttl(cache.make_key(key)) <= 300


def test_set_many_without_timeout_keeps_keys_and_with_zero_deletes_them(server):
    cache.set_many({"kept": 1}, timeout=None)
    assert server.ttl(cache.make_key("kept")) == -1  # no expiry
    cache.set_many({"kept": 2}, timeout=0)
    assert cache.get("kept") is None
