"""A made booking is never an error page because Redis (the cache and the broker) is down after
the commit: the confirmation is an outbox row in the booking's transaction, the cache bump and
the hand-off to a worker are logged and dropped, and beat's dispatcher sends the row later."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from booking.models import Booking, BookingStatus, Service
from followup.models import MessageKind, OutboxMessage, OutboxStatus
from followup.outbox import dispatch_due
from followup.tasks import enqueue_batches
from portal.celery import app as celery_app
from portal.models import User
from tests.booking.conftest import WED
from tests.booking.factories import local
from tests.booking.test_views import post_confirm
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _forget_broker_connections() -> None:
    # Celery keeps a pool of producers connected to the broker it was started with, and builds
    # it again from the current broker_url when these are empty (no public way to reset it).
    setattr(celery_app, "_pool", None)  # noqa: B010
    setattr(celery_app.amqp, "_producer_pool", None)  # noqa: B010


@pytest.fixture
def redis_down() -> Iterator[str]:
    """The cache and the broker both pointed at a closed port, as if Redis had stopped."""
    url = f"redis://127.0.0.1:{closed_port()}/8"
    cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    conf = celery_app.conf
    before = (conf.broker_url, conf.task_always_eager)
    conf.update(broker_url=url, task_always_eager=False)
    _forget_broker_connections()
    try:
        with override_settings(CACHES=cache):
            yield url
    finally:
        conf.update(broker_url=before[0], task_always_eager=before[1])
        _forget_broker_connections()


def test_booking_while_redis_is_down_shows_the_confirmation_and_keeps_the_email(
    private: Service,
    patient: User,
    redis_down: str,
    django_capture_on_commit_callbacks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = client_for(patient)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_confirm(client, private, local(WED, 9))
    assert callbacks, "the cache bump and the hand-off ran after the commit"
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/bookings/{booking.pk}/"
    assert booking.status == BookingStatus.CONFIRMED
    row = OutboxMessage.objects.get(booking=booking, kind=MessageKind.BOOKING_CONFIRMED)
    assert row.status == OutboxStatus.PENDING
    assert "could not reach the broker" in caplog.text
    assert "not moved on" in caplog.text
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Wednesday 3 March 2027, 09:00" in page.content.decode()


def test_the_dispatcher_sends_it_once_redis_is_back(
    private: Service, patient: User, redis_down: str, django_capture_on_commit_callbacks
) -> None:
    client = client_for(patient)
    with django_capture_on_commit_callbacks(execute=True):
        post_confirm(client, private, local(WED, 9))
    assert mail.outbox == []
    celery_app.conf.task_always_eager = True  # Redis is back: the beat's next sweep
    try:
        assert dispatch_due(now=timezone.now(), enqueue=enqueue_batches) == 1
    finally:
        celery_app.conf.task_always_eager = False
    (message,) = mail.outbox
    assert message.to == [patient.email]
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT
