"""The baseline task for the outbox benchmark, loaded only by the benchmark's worker
(``--include``): it does nothing but count itself, so its time is the broker round trip."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="bench.noop", ignore_result=True)
def noop(key: str) -> None:
    from django.core.cache import cache

    cache.incr(key)
