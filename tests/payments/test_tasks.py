"""payments.tasks: the hold-expiry sweep, stalled refunds re-sent, the beat schedule, the tasks
the services queue by name."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core import mail

from booking.models import BookingStatus, Service
from payments import services
from payments.models import Payment, PaymentStatus, Refund, RefundReason, RefundStatus
from payments.tasks import expire_holds, retry_pending_refunds
from portal.celery import app
from portal.models import User
from tests.booking.conftest import NOW, WED
from tests.booking.factories import local
from tests.payments.factories import checkout_for, pay_and_deliver, reload

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("stripe_settings", "eager_celery"),
]


def test_beat_runs_the_hold_expiry_every_minute() -> None:
    entry = app.conf.beat_schedule["expire-payment-holds"]
    assert (entry["task"], entry["schedule"]) == ("payments.tasks.expire_holds", 60.0)
    assert app.conf.beat_schedule["retry-pending-refunds"]["task"] == (
        "payments.tasks.retry_pending_refunds"
    )


def test_the_sweep_expires_only_lapsed_holds(
    online: Service, patient: User, other_patient: User
) -> None:
    early = checkout_for(patient, online, local(WED, 9))
    late = checkout_for(other_patient, online, local(WED, 14), now=NOW + timedelta(minutes=10))
    with time_machine.travel(NOW + timedelta(minutes=16), tick=False):
        assert expire_holds.delay().get() == 1
    assert reload(early.booking).status == BookingStatus.EXPIRED
    assert reload(late.booking).status == BookingStatus.HELD
    with time_machine.travel(NOW + timedelta(minutes=26), tick=False):
        assert expire_holds.delay().get() == 1
    assert reload(late.booking).status == BookingStatus.EXPIRED
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.CANCELED}


def test_a_refund_stalled_while_stripe_was_away_is_sent_later(
    online: Service, patient: User, localstripe: str
) -> None:
    result = checkout_for(patient, online, local(WED, 9))
    assert result.payment is not None
    pay_and_deliver(localstripe, result.payment)
    # Written, but its task gave up (Stripe away for longer than its retries).
    refund = Refund.objects.create(
        payment=Payment.objects.get(), amount_minor=5000, reason=RefundReason.STAFF
    )
    with time_machine.travel(refund.created_at + timedelta(minutes=4), tick=False):
        assert retry_pending_refunds.delay().get() == 0  # its own task may still be trying
    mail.outbox.clear()
    with time_machine.travel(refund.created_at + timedelta(minutes=6), tick=False):
        assert retry_pending_refunds.delay().get() == 1
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert Payment.objects.get().status == PaymentStatus.REFUNDED
    assert [m.subject for m in mail.outbox] == ["Refund of £50"]


def test_the_services_queue_tasks_by_names_the_worker_knows() -> None:
    assert services.SEND_REFUND_TASK in app.tasks
    assert services.CANCEL_PAYMENT_TASK in app.tasks


def test_the_services_never_import_the_tasks() -> None:
    # tasks -> services only: the services queue tasks by name (no import circle).
    tree = ast.parse(Path(services.__file__).read_text())
    imported = {
        name
        for node in ast.walk(tree)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    }
    assert "payments.tasks" not in imported
    assert not any(
        isinstance(node, ast.ImportFrom)
        and node.module == "payments"
        and any(alias.name == "tasks" for alias in node.names)
        for node in ast.walk(tree)
    )


def test_a_fresh_process_knows_the_tasks_without_importing_them() -> None:
    # Nothing in the web process imports payments.tasks but PaymentsConfig.ready; without it an
    # eager Celery would send the refund task by name to the broker instead of running it.
    code = (
        "import django; django.setup(); from portal.celery import app; "
        f"assert {services.SEND_REFUND_TASK!r} in app.tasks"
    )
    done = subprocess.run([sys.executable, "-c", code], env=os.environ.copy(), check=False)
    assert done.returncode == 0
