"""portal.cache: Django's Redis cache, one client per connection pool."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient

from portal.cache import SharedClientRedisCacheClient

SERVER = ["redis://127.0.0.1:6379/0"]  # no connection is made until a command runs


def test_one_client_per_pool_where_django_makes_one_per_call() -> None:
    plain = RedisCacheClient(SERVER)
    assert plain.get_client() is not plain.get_client()  # the cost the subclass removes
    shared = SharedClientRedisCacheClient(SERVER)
    client = shared.get_client()
    assert client is shared.get_client(write=True)


def test_the_configured_cache_reads_what_it_wrote() -> None:
    if not settings.CACHES["default"]["BACKEND"].endswith("SharedClientRedisCache"):
        pytest.skip("needs REDIS_URL")
    cache.set("shared-client-check", {"n": 1})
    cache.set("shared-client-count", 1)
    cache.incr("shared-client-count")
    assert cache.get_many(["shared-client-check", "shared-client-count"]) == {
        "shared-client-check": {"n": 1},
        "shared-client-count": 2,
    }
