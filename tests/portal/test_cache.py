"""The default cache: Django's own Redis backend when REDIS_URL is set, shared by processes."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache

needs_redis = pytest.mark.skipif(not getattr(settings, "REDIS_URL", None), reason="needs REDIS_URL")


@needs_redis
def test_redis_is_djangos_backend_as_it_ships() -> None:
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


@needs_redis
def test_the_configured_cache_reads_what_it_wrote() -> None:
    cache.delete_many(["cache-check", "cache-count"])
    cache.set("cache-check", {"n": 1})
    cache.set("cache-count", 1)
    cache.incr("cache-count")
    assert cache.get_many(["cache-check", "cache-count"]) == {
        "cache-check": {"n": 1},
        "cache-count": 2,
    }
    assert cache.add("cache-count", 5) is False  # an existing key is kept
    assert cache.get("cache-count") == 2
