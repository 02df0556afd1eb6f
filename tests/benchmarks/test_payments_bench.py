"""How fast Stripe webhooks are taken in, against the same run's baseline request.

Each timed delivery is a fresh, signed ``payment_intent.succeeded`` for its own held booking,
posted over HTTP to /stripe/webhook/: signature check, the event recorded once, the payment
claimed and the booking confirmed, the confirmation email queued. A duplicate delivery (the
same event again) is timed too. p99 needs many samples, so this takes a few hundred.

Target: the median within 5x the baseline request (it does several writes in a transaction;
the baseline reads one row).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import statistics
import time
import uuid
from datetime import timedelta

from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from booking.models import Booking, BookingStatus, PaymentMode
from payments.models import Payment, StripeEvent
from tests.benchmarks import report
from tests.benchmarks.report import SLACK, Result, record
from tests.benchmarks.seed import World, remove_bookings

SECRET = "whsec_bench"
SAMPLES = 300
INGEST_TARGET = 5.0


def _signed(event: dict[str, object]) -> tuple[bytes, str]:
    body = json.dumps(event).encode()
    stamp = int(time.time())
    digest = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={stamp},v1={digest}"


def _held_payments(world: World, count: int) -> list[Payment]:
    """Held, unpaid online bookings far past the seeded weeks (so they overlap nothing)."""
    service = world.private
    practitioner = world.practitioners[0]
    start = timezone.now() + timedelta(days=400)
    bookings = Booking.objects.bulk_create(
        Booking(
            clinic=world.clinic,
            patient_id=world.returning[i % len(world.returning)],
            service=service,
            kind=service.kind,
            practitioner=practitioner,
            starts_at=start + timedelta(hours=2 * i),
            ends_at=start + timedelta(hours=2 * i, minutes=service.duration_minutes),
            blocked_from=start + timedelta(hours=2 * i),
            blocked_until=start + timedelta(hours=2 * i, minutes=service.duration_minutes),
            status=BookingStatus.HELD,
            payment_mode=PaymentMode.ONLINE,
            price_minor=service.price_minor,
            hold_expires_at=timezone.now() + timedelta(days=1),
        )
        for i in range(count)
    )
    return Payment.objects.bulk_create(
        Payment(
            booking=b,
            clinic=world.clinic,
            patient_id=b.patient_id,
            amount_minor=b.price_minor,
            currency="GBP",
            stripe_payment_intent_id=f"pi_bench_{uuid.uuid4().hex[:20]}",
        )
        for b in bookings
    )


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


def test_webhook_ingestion(world: World, live_db: None, baseline_ms: float) -> None:
    runs = report.WARMUP + SAMPLES
    payments = _held_payments(world, runs)
    client = Client()
    deliveries = [
        _signed(
            {
                "id": f"evt_bench_{uuid.uuid4().hex[:20]}",
                "object": "event",
                "type": "payment_intent.succeeded",
                "data": {"object": {"id": p.stripe_payment_intent_id, "object": "payment_intent"}},
            }
        )
        for p in payments
    ]
    outcomes: list[str] = []

    def deliver(i: int) -> None:
        body, signature = deliveries[i]
        response = client.post(
            "/stripe/webhook/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        )
        outcomes.append(response.json()["outcome"])

    try:
        with override_settings(STRIPE_WEBHOOK_SECRET=SECRET):
            median, samples = report.median_ms(deliver, repeat=SAMPLES)
            duplicates: list[str] = []
            dup_median, dup_samples = report.median_ms(
                lambda i: duplicates.append(
                    client.post(
                        "/stripe/webhook/",
                        data=deliveries[i][0],
                        content_type="application/json",
                        HTTP_STRIPE_SIGNATURE=deliveries[i][1],
                    ).json()["outcome"]
                ),
                repeat=100,
            )
        confirmed = Booking.objects.filter(
            pk__in=[p.booking_id for p in payments], status=BookingStatus.CONFIRMED
        ).count()
    finally:
        ids = [p.booking_id for p in payments]
        StripeEvent.objects.filter(event_id__startswith="evt_bench_").delete()
        remove_bookings(ids)
    assert outcomes == ["handled"] * runs
    assert set(duplicates) == {"duplicate"}
    assert confirmed == runs
    note = f"{SAMPLES} signed events, each confirming its own held booking"
    result = record(
        Result(
            "webhook ingestion (HTTP): median",
            median,
            "ms",
            baseline=baseline_ms,
            target_ratio=INGEST_TARGET,
            note=note,
        )
    )
    record(Result("webhook ingestion (HTTP): p99", _p99(samples), "ms", baseline=baseline_ms))
    record(
        Result(
            "webhook duplicate delivery (HTTP): median",
            dup_median,
            "ms",
            baseline=baseline_ms,
            note=f"p99 {_p99(dup_samples):.2f} ms; answered 200 without a state change",
        )
    )
    assert result.ratio is not None
    assert result.ratio <= INGEST_TARGET * SLACK, (
        f"webhook ingestion took {median:.1f} ms, {result.ratio:.1f}x the baseline "
        f"(target {INGEST_TARGET}x)"
    )
